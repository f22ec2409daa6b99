// Resume after a reload: the page is reloaded in the middle of a File System Access
// download (blob requests are held back by a slow proxy so there is a middle), the
// unfinished download is offered, and resuming it fetches only what was not yet
// committed and ends with a complete file that matches the CLI's and loads.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, } from "vitest";
import { fixtureImage, worker } from "../harness/injected.ts";
import { clickDownload, committedLayers, openApp, typeReference, waitForJobEnd, waitForSummary } from "./app-page.ts";
import { test as base } from "./browser-test.ts";
import { readOpfsFile } from "./browser.ts";
import { RESULTS, cliPull, podmanLoad } from "./files.ts";
import { slowProxyFixture, type SlowProxy } from "./slow-proxy.ts";

const many = fixtureImage("test/many");

const test = base.extend<{ $file: { slow: SlowProxy } }>({
  slow: slowProxyFixture(worker, 700),
});

describe("an interrupted download", () => {
  test("is offered after a reload and resumes where its last commit left it, fetching only the layers not committed", async ({ browser, page, slow }) => {
    await openApp(page, slow.url);
    await typeReference(page, "test/many:v1");
    await waitForSummary(page);
    await clickDownload(page);

    await expect.poll(() => committedLayers(page), { timeout: 30_000, interval: 200 }).toBeGreaterThanOrEqual(5);
    expect(await committedLayers(page)).toBeLessThan(many.layerCount);

    // The old page's workers (the download engine among them) are gone once they close;
    // until then they may still commit layers.
    const closed = Promise.all(page.workers().map((worker) => new Promise((resolve) => worker.once("close", resolve))));
    await page.reload();
    slow.delayMs = 0;
    const resume = await page.waitForSelector("[data-unfinished] button.primary", { timeout: 15_000 });
    await closed;
    // What the file holds durably now, which the resume must not fetch again.
    const committed = await committedLayers(page);
    const requestsBefore = slow.blobRequests.length;
    await resume.click();
    expect(await waitForJobEnd(page)).toBe("done");
    // The config, plus only the layers the last commit did not have (a request the
    // engine retried after a dropped connection counts once).
    expect(new Set(slow.blobRequests.slice(requestsBefore)).size).toBe(1 + many.layerCount - committed);

    const file = join(RESULTS, "resumed-many.tar");
    writeFileSync(file, await readOpfsFile(page, "test_many_v1_linux_amd64.tar"));
    const cliFile = join(RESULTS, "cli-many.tar");
    await cliPull(worker, "test/many:v1", undefined, cliFile);
    expect(readFileSync(file).equals(readFileSync(cliFile))).toBe(true);
    expect(await podmanLoad(file)).toContain("Loaded image: docker.io/test/many:v1");
    expect(await page.$("[data-unfinished]")).toBeNull();
    expect(await page.textContent("#history-title + .list")).toContain("test/many:v1");
    expect(browser.errors).toEqual([]);
  });
});
