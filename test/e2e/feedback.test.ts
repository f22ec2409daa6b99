// Feedback where the eye is (#28 point 2), measured in headless Chromium against the
// harness Worker: after Download at 1280×900 the button says it is starting until the
// job is registered, then the new job's card is scrolled into view and focused; a bundle
// row's problem takes a row of its own, so no column is squeezed into broken words; a
// picked compose file is named beside its control; History's buttons keep their size
// beside a bundle; the header leaves a phone its screen; an image page filters its tags
// and copies a `docker pull` line.
import type { Page } from "playwright-core";
import { describe, expect } from "vitest";
import { worker } from "../harness/injected.ts";
import { clickDownload, openApp, saveWith, typeReference, waitForJobEnd, waitForSummary } from "./app-page.ts";
import { test } from "./browser-test.ts";

/** A rectangle of the page, in viewport coordinates. */
interface Box { top: number; bottom: number; left: number; right: number; width: number; height: number }

const box = (page: Page, selector: string): Promise<Box> =>
  page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height };
  });

/** How many lines each matched element's text takes (one rectangle a line box). */
const lineCounts = (page: Page, selector: string): Promise<Record<string, number>> =>
  page.$$eval(selector, (cells) => Object.fromEntries(cells.map((cell) => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    const tops = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
    return [cell.textContent?.trim() ?? "", tops.size];
  })));

async function bundleMode(page: Page): Promise<void> {
  await openApp(page, worker);
  await page.check("input[name=mode][value=bundle]");
}

describe("feedback where the eye is", () => {
  test("at 1280×900, Download says it is starting until the job is registered, then brings the job's card into view, focused", async ({ browser, page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await openApp(page, worker);
    await typeReference(page, "test/single:v1");
    await waitForSummary(page);
    await saveWith(page, "file");
    // The picker answers when the test says, so the time between the click and the job is seen.
    await page.evaluate(() => {
      const w = window as unknown as { showSaveFilePicker: (o: unknown) => Promise<unknown>; releasePicker?: () => void };
      const real = w.showSaveFilePicker;
      w.showSaveFilePicker = (options) => new Promise((resolve) => (w.releasePicker = () => resolve(real(options))));
    });
    // Scrolled as a person scrolls to a button: just until it shows, at the screen's bottom
    // edge, where nothing below it can be seen.
    await page.$eval(".summary button.primary", (b) => b.scrollIntoView({ block: "end" }));
    await clickDownload(page);
    const button = page.locator(".summary button.primary");
    await expect.poll(() => button.getAttribute("aria-busy")).toBe("true");
    expect(await button.isDisabled()).toBe(true);
    expect(await button.textContent()).toBe("Starting…");

    await page.evaluate(() => (window as unknown as { releasePicker: () => void }).releasePicker());
    await page.waitForSelector(".job");
    await expect.poll(() => button.getAttribute("aria-busy")).toBeNull();
    expect(await button.textContent()).toBe("Download");
    // The card's title and progress bar are on screen. Not its bottom: a small image may
    // already be done by now, and the card grows downwards with its load commands.
    const title = await box(page, ".job h2");
    const bar = await box(page, ".job progress");
    expect(title.top).toBeGreaterThanOrEqual(0);
    expect(bar.bottom).toBeLessThanOrEqual(900);
    // Focus is on the card, which a screen reader names by its title.
    const focused = await page.evaluate(() => {
      const active = document.activeElement;
      const job = active?.closest(".job");
      const label = job?.getAttribute("aria-labelledby");
      return { inJob: job !== null && job !== undefined, name: label ? document.getElementById(label)?.textContent : null };
    });
    expect(focused).toEqual({ inJob: true, name: "Downloading test/single:v1" });
    expect(await waitForJobEnd(page)).toBe("done");
    expect(browser.errors).toEqual([]);
  });

  test("a bundle row's problem is a row of its own: headers and origins keep their words whole; a picked file is named", async ({ browser, page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await bundleMode(page);
    expect(await page.textContent("[data-testid=bundle-file-name]")).toBe("No file yet");
    await page.fill("#bundle-references", "Upper/Case:v1\ntest/single:v1\nhas space here\n");
    await page.waitForSelector("[data-bundle-row][data-state=ok]", { timeout: 20_000 });
    const errors = await page.$$eval("tr[data-bundle-error] td", (tds) => tds.map((td) => ({ span: (td as HTMLTableCellElement).colSpan, text: td.textContent ?? "" })));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ span: 4 });
    expect(errors[0].text).toContain("repository names must be lowercase");
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const lines = await lineCounts(page, ".bundle-table th, .bundle-table .bundle-origin");
      expect(lines, `at ${width} px`).toEqual({ From: 1, Image: 1, Platform: 1, Size: 1, "line 1": 1, "line 2": 1, "line 3": 1 });
      const table = await box(page, ".bundle-table");
      const error = await box(page, "tr[data-bundle-error] td");
      expect(Math.abs(error.width - table.width)).toBeLessThan(2);
    }

    // The browser's own control would say "No file chosen" after a file is read.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.setInputFiles("#bundle-file", { name: "compose.yaml", mimeType: "text/yaml", buffer: Buffer.from("services:\n  web:\n    image: test/single:v1\n") });
    await expect.poll(() => page.textContent("[data-testid=bundle-file-name]")).toBe("compose.yaml");
    expect((await box(page, "#bundle-file")).width).toBeLessThanOrEqual(1);
    expect(await page.isVisible("label.button[for=bundle-file]")).toBe(true);
    expect(await page.textContent("label.button[for=bundle-file]")).toBe("Choose a file…");
    await page.click("button:text-is('Remove the file')");
    expect(await page.textContent("[data-testid=bundle-file-name]")).toBe("No file yet");
    expect(browser.errors).toEqual([]);
  });

  test("History's buttons are the size of their words beside a bundle of several images", async ({ browser, page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await bundleMode(page);
    await page.fill("#bundle-references", "test/single:v1\ntest/multi:v1\n");
    await page.waitForFunction(() => document.querySelectorAll("[data-bundle-row][data-state=ok]").length === 2, null, { timeout: 20_000 });
    await page.click(".bundle-summary button.primary");
    expect(await waitForJobEnd(page)).toBe("done");
    const bundleEntry = page.locator("[data-history]", { hasText: "Bundle of 2 images" }).first();
    await bundleEntry.waitFor();
    const sizes = await bundleEntry.locator(".actions button").evaluateAll((buttons) => buttons.map((b) => {
      const range = document.createRange();
      range.selectNodeContents(b);
      const words = range.getBoundingClientRect();
      const own = b.getBoundingClientRect();
      return { extraWidth: own.width - words.width, extraHeight: own.height - words.height };
    }));
    expect(sizes).toHaveLength(2);
    // Padding and border only (0.9 rem a side, 0.45 rem above and below, min-height 2.5 rem).
    for (const size of sizes) {
      expect(size.extraWidth).toBeLessThan(40);
      expect(size.extraHeight).toBeLessThan(24);
    }
    expect(browser.errors).toEqual([]);
  });

  test("on a phone (390×844) the header leaves the screen to the form", async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await openApp(page, worker);
    for (const lang of ["en", "zh"]) {
      await page.selectOption(".lang select", lang);
      const header = await box(page, "header.top");
      expect(header.height, lang).toBeLessThanOrEqual(120); // 163 px before
      // Everything in it stays on the screen: the three views and the language.
      for (const selector of ["nav.views a >> nth=2", ".lang select"]) {
        const part = await box(page, selector);
        expect(part.right).toBeLessThanOrEqual(390);
        expect(part.bottom).toBeLessThanOrEqual(header.bottom);
      }
    }
    await page.selectOption(".lang select", "en");
  });

  test("an image page filters its tags and copies a docker pull line", async ({ browser, page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: worker });
    await page.goto(`${worker}/#/image?image=ubuntu:22.04`);
    await page.waitForSelector(".image-head h2:text-is('ubuntu')");
    expect(await page.textContent(".image-head .copy-line code")).toBe("docker pull ubuntu:22.04");
    await page.click(".image-head .copy-line button");
    await expect.poll(() => page.textContent(".image-head .copy-line button")).toBe("Copied");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe("docker pull ubuntu:22.04");

    // Three tags: the filter showed only past eight before.
    await page.goto(`${worker}/#/image?image=nginx`);
    await page.waitForSelector(".image-head h2:text-is('nginx')");
    const tags = () => page.locator("tbody[data-tag]").evaluateAll((tbodies) => tbodies.map((t) => t.getAttribute("data-tag")));
    expect(await tags()).toEqual(["latest", "1.27", "alpine"]);
    await page.fill(".tag-filter input", "alp");
    await expect.poll(tags).toEqual(["alpine"]);
    await page.fill(".tag-filter input", "no-such-tag");
    await expect.poll(() => page.textContent(".image-page .card:has(#tags-title)")).toContain("No loaded tag contains “no-such-tag”.");
    expect(browser.errors).toEqual([]);
  });
});
