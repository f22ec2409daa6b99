// The app as an installable PWA: Chromium finds nothing stopping installation, the
// shell opens offline from the service worker's cache, the language follows the
// browser and can be switched, and it lays out at phone and desktop widths in both
// languages (screenshots are kept in test-results/e2e for people to look at).
import { join } from "node:path";
import { describe, expect, } from "vitest";
import { worker } from "../harness/injected.ts";
import { openApp, typeReference, waitForServiceWorker, waitForSummary } from "./app-page.ts";
import { test } from "./browser-test.ts";
import { launch } from "./browser.ts";
import { RESULTS } from "./files.ts";


describe("the app shell", () => {
  test("is installable: Chromium reports no installability errors", async ({ browser, page }) => {
    await openApp(page, worker);
    await waitForServiceWorker(page);
    const cdp = await browser.context.newCDPSession(page);
    const { installabilityErrors } = (await cdp.send("Page.getInstallabilityErrors")) as { installabilityErrors: { errorId: string }[] };
    expect(installabilityErrors).toEqual([]);
    await cdp.detach();
  });

  test("opens offline from the service worker's cache, saying it is offline", async ({ browser, page, onTestFinished }) => {
    await openApp(page, worker);
    await waitForServiceWorker(page);
    await browser.context.setOffline(true);
    onTestFinished(() => browser.context.setOffline(false));
    await page.reload();
    await page.waitForSelector("#reference");
    expect(await page.textContent("h1")).toBe("dockerdl");
    await page.waitForSelector(".offline");
  });

  test("switches between English and Simplified Chinese and lays out at 390 and 1280 px", async ({ browser, page }) => {
    await openApp(page, worker);
    await typeReference(page, "test/multi:v1");
    await waitForSummary(page);
    for (const lang of ["en", "zh"] as const) {
      await page.selectOption(".lang select", lang);
      await page.waitForSelector(`html[lang=${lang === "zh" ? "zh-CN" : "en"}]`);
      expect(await page.textContent("label[for=reference]")).toBe(lang === "zh" ? "镜像" : "Image");
      for (const width of [390, 1280]) {
        await page.setViewportSize({ width, height: 900 });
        // Nothing may be wider than a phone's screen.
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
        await page.screenshot({ path: join(RESULTS, `app-${lang}-${width}.png`), fullPage: true });
      }
    }
    await page.selectOption(".lang select", "en");
    expect(browser.errors).toEqual([]);
  });

  test("starts in Chinese when the browser prefers it", async ({ onTestFinished }) => {
    const zh = await launch({ locale: "zh-CN" });
    onTestFinished(() => zh.close());
    const page = await zh.newPage();
    await openApp(page, worker);
    expect(await page.textContent("label[for=reference]")).toBe("镜像");
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
  });
});
