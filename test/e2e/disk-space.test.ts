// Running out of space in the middle of a File System Access download, end to end in
// headless Chromium: the form says beforehand that a file download needs about twice
// its size free; the picked file lies in this site's storage (the OPFS picker), whose
// quota Chromium's DevTools protocol can lower mid-download (Storage.overrideQuotaForOrigin).
// The download then stops saying the disk is full, keeps what it committed, and once
// the quota is lifted resumes to a file byte-identical to the CLI's. The screen
// reader's progress text keeps up with the bar meanwhile.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CDPSession, Page } from "playwright-core";
import { describe, expect } from "vitest";
import { fixtureImage, worker } from "../harness/injected.ts";
import { clickDownload, committedLayers, openApp, typeReference, waitForJobEnd, waitForSummary } from "./app-page.ts";
import { test as base } from "./browser-test.ts";
import { readOpfsFile } from "./browser.ts";
import { RESULTS, cliPull, podmanLoad } from "./files.ts";
import { slowProxyFixture, type SlowProxy } from "./slow-proxy.ts";

const many = fixtureImage("test/many");

const test = base.extend<{ $file: { slow: SlowProxy } }>({
  slow: slowProxyFixture(worker, 1000),
});

/**
 * Sets this origin's storage quota to `bytes`, or back to Chromium's own with undefined.
 * The override lasts as long as the DevTools session that set it, so one is kept open.
 */
async function overrideQuota(page: Page, bytes: number | undefined): Promise<void> {
  const cdp = (sessions.get(page) ?? sessions.set(page, await page.context().newCDPSession(page)).get(page))!;
  await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(page.url()).origin, ...(bytes === undefined ? {} : { quotaSize: bytes }) });
}
const sessions = new Map<Page, CDPSession>();

const usage = (page: Page) => page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
const announced = (page: Page) => page.textContent(".job p.visually-hidden[aria-live]");

describe("a download that runs out of space", () => {
  test("says so, keeps what it committed, and resumes once there is room, to the CLI's bytes", async ({ browser, page, slow }) => {
    await openApp(page, slow.url);
    await typeReference(page, "test/many:v1");
    await waitForSummary(page);
    expect(await page.textContent("[data-testid=space-note]")).toMatch(/needs about .+ free on the disk you choose/);
    await clickDownload(page);
    expect(await page.textContent("[data-testid=space-free]")).toMatch(/storage has .+ free; the download needs about/);

    // The hidden progress text follows the bar, not stuck at its first value.
    await expect.poll(async () => /Downloading: ([1-9]\d*)% downloaded/.test((await announced(page)) ?? ""), { timeout: 30_000, interval: 200 }).toBe(true);

    await expect.poll(() => committedLayers(page), { timeout: 30_000, interval: 200 }).toBeGreaterThanOrEqual(5);
    // No room for the copy the next commit makes of the file.
    await overrideQuota(page, await usage(page));
    const failed = await page.waitForSelector(".job[data-status=failed]", { timeout: 60_000 });
    expect(await failed.$eval(".error", (e) => e.getAttribute("data-code"))).toBe("NO_SPACE");
    expect(await failed.textContent()).toMatch(/is full, so the download stopped\. What was verified is kept/);
    expect(await failed.textContent()).toMatch(/free some disk space, then press Resume/);
    const committed = await committedLayers(page);
    expect(committed).toBeGreaterThanOrEqual(5);
    expect(committed).toBeLessThan(many.layerCount);

    await overrideQuota(page, undefined);
    slow.delayMs = 0;
    const requestsBefore = slow.blobRequests.length;
    await page.click(".job[data-status=failed] button.primary");
    expect(await waitForJobEnd(page)).toBe("done");
    // Only what the last commit did not hold is fetched again (and the config).
    expect(new Set(slow.blobRequests.slice(requestsBefore)).size).toBeLessThanOrEqual(1 + many.layerCount - committed);

    const file = join(RESULTS, "no-space-many.tar");
    writeFileSync(file, await readOpfsFile(page, "test_many_v1_linux_amd64.tar"));
    const cliFile = join(RESULTS, "cli-many-no-space.tar");
    await cliPull(worker, "test/many:v1", undefined, cliFile);
    expect(readFileSync(file).equals(readFileSync(cliFile))).toBe(true);
    expect(await podmanLoad(file)).toContain("Loaded image: docker.io/test/many:v1");
    expect(browser.errors).toEqual([]);
  });

  test("a browser that reports less room than the download needs is told so, and the download goes ahead", async ({ browser, page, slow }) => {
    // Chromium's estimate() reports usage + 10 GiB whatever the quota (disk-space.ts), so
    // a large download sees less than it needs. Here a small one is made to see that,
    // by answering estimate() as the browser would with only 1 KiB to spare.
    await page.addInitScript(() => {
      const real = StorageManager.prototype.estimate;
      StorageManager.prototype.estimate = async function (this: StorageManager) {
        const { usage = 0 } = await real.call(this);
        return { usage, quota: usage + 1024 };
      };
    });
    slow.delayMs = 0;
    await openApp(page, slow.url);
    await typeReference(page, "test/many:v1");
    await waitForSummary(page);
    await clickDownload(page);
    expect(await page.textContent("[data-testid=space-free]")).toMatch(/reports 1\.0 KiB free in its storage, less than the .+ so it goes ahead/);
    expect(await waitForJobEnd(page)).toBe("done");
    const file = join(RESULTS, "understated-many.tar");
    writeFileSync(file, await readOpfsFile(page, "test_many_v1_linux_amd64.tar"));
    expect(await podmanLoad(file)).toContain("Loaded image: docker.io/test/many:v1");
    expect(browser.errors).toEqual([]);
  });
});
