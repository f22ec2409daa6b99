// The PWA in `npm run bench`: headless Chromium (test/e2e/browser.ts) opens the app the
// Worker serves, resolves the image, and saves it through File System Access into an
// OPFS file behind the stubbed picker, as a person clicking Download would. Timed from
// the click to the job's "done"; the JS heap of the page and of its workers is
// sampled throughout. A fresh browser profile per run, so no file or job carries over.
import type { Page } from "playwright-core";
import { clickDownload, openApp, saveWith, typeReference, waitForSummary } from "../test/e2e/app-page.ts";
import { launch } from "../test/e2e/browser.ts";
import { sampleHeap } from "../test/e2e/heap-sampler.ts";

export interface BrowserMeasurement {
  seconds: number;
  pageHeapMiB: number;
  workerHeapMiB: number;
}

export async function browserDownload(workerUrl: string, reference: string): Promise<BrowserMeasurement> {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const sampler = await sampleHeap(browser.context, page, 250);
    await openApp(page, workerUrl);
    await typeReference(page, reference);
    await waitForSummary(page);
    await saveWith(page, "file");
    const started = performance.now();
    await clickDownload(page);
    const status = await jobEnd(page);
    const seconds = (performance.now() - started) / 1000;
    const heap = await sampler.stop();
    if (status !== "done") throw new Error(`the PWA's download of ${reference} ended ${status}: ${browser.errors.join("; ")}`);
    return { seconds, pageHeapMiB: heap.page / 2 ** 20, workerHeapMiB: heap.workers / 2 ** 20 };
  } finally {
    await browser.close();
  }
}

/** Like app-page's waitForJobEnd, without its one-minute limit: a 2 GiB image may take longer. */
async function jobEnd(page: Page): Promise<string> {
  const card = await page.waitForSelector(".job[data-status=done], .job[data-status=failed]", { timeout: 30 * 60_000 });
  return (await card.getAttribute("data-status")) ?? "";
}
