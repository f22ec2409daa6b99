// A platform named in the address (#/download?image=…&platform=…), end to end in
// headless Chromium: read as the CLI reads --platform (arm64 is linux/arm64, which
// matches the index's arm64/v8), followed when only platform= changes, and never
// swapped for another: one the image lacks is said, with what it offers. Sizes are in
// the CLI's binary units, with the difference from an image page's sizes explained.
import type { Page } from "playwright-core";
import { describe, expect } from "vitest";
import { fixtureImage, worker } from "../harness/injected.ts";
import { waitForSummary } from "./app-page.ts";
import { test } from "./browser-test.ts";

const multi = fixtureImage("test/multi");

const selected = (page: Page) => page.$eval("select[name=platform]", (s) => (s as HTMLSelectElement).value);

async function waitForSelected(page: Page, value: string): Promise<void> {
  await page.waitForFunction((v) => (document.querySelector("select[name=platform]") as HTMLSelectElement | null)?.value === v, value, { timeout: 20_000 });
}

describe("a platform in the address", () => {
  test("is read as the CLI reads --platform, and followed when only it changes", async ({ browser, page }) => {
    await page.goto(`${worker}/#/download?image=test/multi:v1&platform=arm64`);
    await waitForSelected(page, "linux/arm64/v8");
    expect((await waitForSummary(page)).digest).toBe(multi.platforms["linux/arm64/v8"]);
    expect(await page.textContent("[data-testid=total-size]")).toMatch(/^\d+(\.\d)? (B|KiB|MiB) \(/);
    expect(await page.textContent("[data-testid=size-note]")).toMatch(/compressed layers alone/);

    await page.evaluate(() => (location.hash = "#/download?image=test/multi:v1&platform=linux/arm/v7"));
    await waitForSelected(page, "linux/arm/v7");
    await page.waitForFunction((d) => document.querySelector("[data-testid=digest]")?.textContent === d, multi.platforms["linux/arm/v7"], { timeout: 20_000 });
    expect(browser.errors).toEqual([]);
  });

  test("that the image does not offer is said, listing what it offers, and nothing is chosen for it", async ({ page }) => {
    await page.evaluate(() => (location.hash = "#/download?image=test/multi:v1&platform=linux/ppc64le"));
    const error = await page.waitForSelector("#platform-error", { timeout: 20_000 });
    expect(await error.textContent()).toContain("linux/ppc64le is not available for test/multi:v1; it offers linux/amd64, linux/arm64/v8, linux/arm/v7");
    expect(await selected(page)).toBe("");
    expect(await page.$("[data-testid=digest]")).toBeNull();

    // Choosing one from the list is the way on.
    await page.selectOption("select[name=platform]", "linux/amd64");
    expect((await waitForSummary(page)).digest).toBe(multi.platforms["linux/amd64"]);
    expect(await page.$("#platform-error")).toBeNull();
  });

  test("is checked against a single-platform image too", async ({ page }) => {
    await page.goto(`${worker}/#/download?image=test/single:v1&platform=linux/arm64`);
    const error = await page.waitForSelector("#platform-error", { timeout: 20_000 });
    expect(await error.textContent()).toContain("linux/arm64 is not available for test/single:v1; it offers linux/amd64");
    expect(await page.$("[data-testid=digest]")).toBeNull();
  });
});
