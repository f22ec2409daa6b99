// The explorer reached by a link, end to end in headless Chromium: a link that names the
// image and its platform starts browsing by itself; an export can go through the
// browser's own download although a file could be picked (as the download form offers
// both); and at 390 px each row of the tree stays one line (its mode and size never wrap).
import { describe, expect } from "vitest";
import { worker } from "../harness/injected.ts";
import { waitForServiceWorker } from "./app-page.ts";
import { test } from "./browser-test.ts";

const BASE = "test_layers_v1_linux_amd64-rootfs";

describe("the explorer from a link", () => {
  test("starts browsing when the link names the image and platform", async ({ browser, page }) => {
    await page.goto(`${worker}/#/explore?image=test%2Flayers%3Av1&platform=linux%2Famd64`);
    await page.waitForSelector("[data-testid=tree] li[data-path=etc]", { timeout: 30_000 });
    expect(await page.inputValue("#explore-reference")).toBe("test/layers:v1");
    expect(browser.errors).toEqual([]);
  });

  test("exports through the browser's download when that is chosen", async ({ page }) => {
    await waitForServiceWorker(page);
    expect(await page.isChecked("input[name=export-via][value=file]")).toBe(true);
    await page.check("input[name=export-via][value=stream]");
    const started = page.waitForEvent("download", { timeout: 30_000 });
    await page.click("[data-testid=export-tar]");
    const download = await started;
    expect(download.suggestedFilename()).toBe(`${BASE}.tar`);
    expect(await download.failure()).toBeNull();
    await page.waitForSelector(`.save[data-file="${BASE}.tar"][data-status=done]`, { timeout: 30_000 });
    expect(await page.evaluate(() => (window as { __pickedFiles?: string[] }).__pickedFiles ?? [])).toEqual([]);
  });

  test("keeps every row of the tree on one line at 390 px", async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 900 });
    for (const folder of ["etc", "usr", "usr/bin", "var", "var/cache", "opt"]) {
      await page.click(`[data-testid=tree] li[data-path="${folder}"] > .row > button.toggle`);
      await page.waitForSelector(`[data-testid=tree] li[data-path="${folder}"] > ul[role=group] > li`);
    }
    const rows = await page.$$eval("[data-testid=tree] li[role=treeitem] > .row", (divs) =>
      divs.map((div) => {
        const line = (selector: string) => {
          const el = div.querySelector(selector) as HTMLElement | null;
          if (!el || el.offsetHeight === 0) return 0;
          return el.getClientRects().length === 1 ? el.offsetHeight / parseFloat(getComputedStyle(el).lineHeight || "0") : 99;
        };
        return { path: div.parentElement!.dataset.path, height: div.getBoundingClientRect().height, mode: line(".mode"), size: line(".size"), name: line(".name") };
      }),
    );
    expect(rows.length).toBeGreaterThan(10);
    const heights = rows.map((r) => r.height);
    expect(Math.max(...heights) - Math.min(...heights), JSON.stringify(rows)).toBeLessThan(2);
    for (const row of rows) {
      expect(row.mode, row.path).toBeLessThan(1.5);
      expect(row.size, row.path).toBeLessThan(1.5);
      expect(row.name, row.path).toBeLessThan(1.5);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  });

  test("follows a change of only platform= in the address, saying when the image lacks it", async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.evaluate(() => (location.hash = "#/explore?image=test%2Flayers%3Av1&platform=arm64"));
    const error = await page.waitForSelector("#explore-platform-error", { timeout: 20_000 });
    expect(await error.textContent()).toContain("linux/arm64 is not available for test/layers:v1; it offers linux/amd64");
    expect(await page.isDisabled("[data-testid=browse]")).toBe(true);
  });
});
