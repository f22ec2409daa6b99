// Path (3) of the scale run: the PWA in headless Chromium saves the image through File
// System Access (an OPFS file behind the stubbed picker) from the Worker, is reloaded
// once in the middle of the big layer, and resumes. The saved file is found on disk in
// Chromium's profile (OPFS keeps it as a plain file) and hashed there: reading 12 GiB
// back through the page would take longer than the download.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { clickDownload, openApp, saveWith, typeReference, waitForSummary } from "../../test/e2e/app-page.ts";
import { launch } from "../../test/e2e/browser.ts";
import { sampleHeap, type HeapPeaks } from "../../test/e2e/heap-sampler.ts";
import { waitUntil } from "../../test/harness/net.ts";
import type { ScaleImage } from "./build-image.ts";
import { sha256File, timeoutFor } from "./prove.ts";

export interface BrowserResult {
  seconds: number;
  sha256: string;
  heap: HeapPeaks;
  /** Bytes of the big layer the job had committed when the page was reloaded, and after. */
  committedAtReload: number;
  committedAfterReload: number;
  errors: string[];
}

/**
 * Bytes of blob `digest` the unfinished job in IndexedDB has durably written (0 before
 * the app made its database: opening it here must not create it in its place).
 */
async function committedBytes(page: Page, digest: string): Promise<number> {
  return page.evaluate(async (key) => {
    const db = await new Promise<IDBDatabase | undefined>((resolve, reject) => {
      const open = indexedDB.open("dockerdl");
      open.onupgradeneeded = () => open.transaction?.abort();
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => (open.error?.name === "AbortError" ? resolve(undefined) : reject(open.error));
    });
    if (!db) return 0;
    try {
      if (!db.objectStoreNames.contains("jobs")) return 0;
      const jobs = await new Promise<{ state?: { blobs: Record<string, { received: number[] }> } }[]>((resolve) => {
        const all = db.transaction("jobs").objectStore("jobs").getAll();
        all.onsuccess = () => resolve(all.result);
      });
      return (jobs[0]?.state?.blobs[key]?.received ?? []).reduce((a, b) => a + b, 0);
    } finally {
      db.close();
    }
  }, digest);
}

/** The job card's overall progress (0–1) and the job's status. */
async function shownProgress(page: Page): Promise<{ fraction: number; status: string }> {
  return page.evaluate(() => {
    const bar = document.querySelector<HTMLProgressElement>(".job progress");
    return { fraction: bar ? bar.value / bar.max : 0, status: document.querySelector(".job")?.getAttribute("data-status") ?? "" };
  });
}

/** `work`, or undefined if it takes longer than `ms` (a page between documents can hang an evaluate). */
function within<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  return Promise.race([work, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms))]);
}

/** The one file in `dir` (recursively) that is exactly `size` bytes: the saved OPFS file. */
function findFileOfSize(dir: string, size: number): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFileOfSize(path, size);
      if (found) return found;
    } else if (entry.isFile() && statSync(path).size === size) {
      return path;
    }
  }
  return undefined;
}

export async function browserPull(worker: string, image: ScaleImage, totalSize: number, log: (line: string) => void): Promise<BrowserResult> {
  const browser = await launch();
  log("    Chromium started");
  try {
    const page = await browser.newPage();
    const heap = await sampleHeap(browser.context, page);
    await openApp(page, worker);
    // The picker's stub saves into this site's storage: lift its quota to what the file and
    // Chromium's hidden copy of it need (the machine's disk was checked before the run).
    // estimate() goes on reporting usage + 10 GiB; the page shows that and starts anyway.
    const cdp = await browser.context.newCDPSession(page);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(page.url()).origin, quotaSize: 3 * totalSize });
    await typeReference(page, `${image.repository}:${image.tag}`);
    await waitForSummary(page);
    await saveWith(page, "file");
    const started = performance.now();
    await clickDownload(page);
    const big = image.big;
    const limit = timeoutFor(totalSize);
    let seen = 0;
    let shown = { fraction: 0, status: "" };
    let lastLog = 0;
    let refused: string | null = null;
    // The big layer is three quarters of the image and layers download in parallel, so
    // past 40% of the whole the big layer is in its middle. Reload once part of it, not
    // all, is committed, so the resume starts from an offset inside it. Commits of a file
    // this large are spaced by ten times a whole-file copy (checkpointed-file.ts), so the
    // first may come late; without one by 85%, reload anyway (the results say so).
    await waitUntil(async () => {
      // A refusal before the start (no job card) is shown in the form: fail now, not at the timeout.
      refused = (await within(5000, page.$eval(".error", (e) => `${e.getAttribute("data-code") ?? ""}: ${e.textContent ?? ""}`).catch(() => null))) ?? null;
      if (refused) return true;
      shown = (await within(5000, shownProgress(page))) ?? shown;
      seen = (await within(5000, committedBytes(page, big.digest))) ?? seen;
      if (shown.status === "done" || shown.status === "failed") return true;
      if (Date.now() - lastLog > 30_000) {
        lastLog = Date.now();
        log(`    ${(shown.fraction * 100).toFixed(0)}% fetched, ${(seen / 2 ** 30).toFixed(2)} GiB of the big layer committed`);
      }
      return (seen > 0 && seen < big.size && shown.fraction >= 0.4) || shown.fraction >= 0.85;
    }, limit, (last) => `no reload point within ${limit / 1000} s (${seen} bytes committed, ${shown.fraction} shown): ${String(last)}`, 500);
    if (refused) throw new Error(`the app refused the download: ${refused}`);
    if (shown.status === "done" || shown.status === "failed") throw new Error(`the download ended (${shown.status}) before it could be interrupted`);
    log(`    reloading at ${(shown.fraction * 100).toFixed(0)}%, ${(seen / 2 ** 30).toFixed(2)} GiB of the big layer committed`);
    const closed = Promise.all(page.workers().map((w) => new Promise((resolve) => w.once("close", resolve))));
    await page.reload();
    const resume = await page.waitForSelector("[data-unfinished] button.primary", { timeout: 60_000 });
    await Promise.race([closed, new Promise((r) => setTimeout(r, 30_000))]);
    const after = await committedBytes(page, big.digest);
    log(`    resuming from ${(after / 2 ** 30).toFixed(2)} GiB committed`);
    await resume.click();
    const card = await page.waitForSelector(".job[data-status=done], .job[data-status=failed]", { timeout: limit });
    const status = await card.getAttribute("data-status");
    const seconds = (performance.now() - started) / 1000;
    const peaks = await heap.stop();
    if (status !== "done") throw new Error(`the browser download ended ${status}: ${(await card.textContent()) ?? ""}`);
    const file = findFileOfSize(browser.profile, totalSize);
    if (!file) throw new Error(`no file of ${totalSize} bytes in Chromium's profile: the saved file is missing or has the wrong size`);
    return { seconds, sha256: await sha256File(file), heap: peaks, committedAtReload: seen, committedAfterReload: after, errors: [...browser.errors] };
  } finally {
    await browser.close();
  }
}
