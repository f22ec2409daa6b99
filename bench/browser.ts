// The PWA in `npm run bench`: headless Chromium (bench/cdp.ts, no debugger's network
// tracking) opens the app the Worker serves, resolves the image, and saves it through
// File System Access into an OPFS file behind the stubbed picker, as a person clicking
// Download would. Timed from the click to the job's "done"; the JS heap of the page
// and of its workers is sampled throughout. A fresh browser profile per run, so no file
// or job carries over.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { launchBenchBrowser, type BenchBrowser } from "./cdp.ts";

export interface BrowserMeasurement {
  seconds: number;
  pageHeapMiB: number;
  workerHeapMiB: number;
  /** The download worker's `dockerdlHeld` (web/lib/held-bodies.ts): ranges read whole, and read-backs that stalled. */
  held: { bodies: number; bytes: number; stalled: number };
}

/** Resolves with the first element matching `selector` (its data-status), waiting up to `ms`. */
const waitFor = (selector: string, ms: number) => `new Promise((resolve, reject) => {
  const found = () => document.querySelector(${JSON.stringify(selector)});
  if (found()) return resolve(found().getAttribute("data-status"));
  const observer = new MutationObserver(() => {
    if (!found()) return;
    observer.disconnect();
    resolve(found().getAttribute("data-status"));
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true });
  setTimeout(() => { observer.disconnect(); reject(new Error("no ${selector.replace(/"/g, "'")} after ${ms} ms")); }, ${ms});
})`;

/**
 * `profileDir`: a CPU profile of each worker (the download worker, its hashing thread)
 * from the click to the job's end is written there as NAME.cpuprofile (Chromium's
 * DevTools opens it).
 */
export async function browserDownload(workerUrl: string, reference: string, options: { profileDir?: string } = {}): Promise<BrowserMeasurement> {
  const browser = await launchBenchBrowser();
  try {
    await browser.send("Page.navigate", { url: workerUrl });
    await browser.evaluate(waitFor("#reference", 30_000));
    // As a person types: the field's value, then the input event Preact listens to.
    await browser.evaluate(`(() => {
      const field = document.querySelector("#reference");
      field.value = ${JSON.stringify(reference)};
      field.dispatchEvent(new Event("input", { bubbles: true }));
    })()`);
    await browser.evaluate(waitFor("[data-testid=digest]", 30_000));
    await browser.evaluate(`document.querySelector("input[name=via][value=file]").click()`);
    const sampler = sampleHeap(browser, 250);
    const profiles = options.profileDir === undefined ? undefined : profileWorkers(browser, options.profileDir);
    const started = performance.now();
    await browser.evaluate(`document.querySelector(".summary button.primary").click()`);
    const status = await browser.evaluate<string>(waitFor(".job[data-status=done], .job[data-status=failed]", 30 * 60_000));
    const seconds = (performance.now() - started) / 1000;
    const heap = await sampler.stop();
    await profiles?.stop();
    const held = await heldCounts(browser);
    if (status !== "done") {
      const error = await browser.evaluate<string>(`document.querySelector(".job .error")?.textContent ?? ""`);
      throw new Error(`the PWA's download of ${reference} ended ${status}: ${error}`);
    }
    return { seconds, pageHeapMiB: heap.page / 2 ** 20, workerHeapMiB: heap.workers / 2 ** 20, held };
  } finally {
    await browser.close();
  }
}

/** The counts of ranges read whole in the workers that keep them (the download worker). */
async function heldCounts(browser: BenchBrowser): Promise<BrowserMeasurement["held"]> {
  const sum = { bodies: 0, bytes: 0, stalled: 0 };
  for (const worker of browser.workers) {
    const reply = await browser.send<{ result: { value?: Partial<BrowserMeasurement["held"]> } }>(
      "Runtime.evaluate", { expression: "globalThis.dockerdlHeld", returnByValue: true }, worker).catch(() => undefined);
    const counts = reply?.result.value;
    if (counts === undefined || counts === null) continue;
    sum.bodies += counts.bodies ?? 0;
    sum.bytes += counts.bytes ?? 0;
    sum.stalled += counts.stalled ?? 0;
  }
  return sum;
}

/** The largest used JS heap of the page, and of its workers together, seen every `periodMs`. */
function sampleHeap(browser: BenchBrowser, periodMs: number): { stop(): Promise<{ page: number; workers: number }> } {
  const peaks = { page: 0, workers: 0 };
  let sampling = true;
  const heapOf = (sessionId?: string) =>
    browser.send<{ usedSize: number }>("Runtime.getHeapUsage", {}, sessionId).then((r) => r.usedSize, () => 0);
  const loop = (async () => {
    while (sampling) {
      peaks.page = Math.max(peaks.page, await heapOf());
      const sizes = await Promise.all([...browser.workers].map(heapOf));
      peaks.workers = Math.max(peaks.workers, sizes.reduce((a, b) => a + b, 0));
      await new Promise((resolve) => setTimeout(resolve, periodMs)); // the sampling period, not a wait
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      return peaks;
    },
  };
}

/** Profiles every worker from now on (those that start later too); stop() writes the profiles. */
function profileWorkers(browser: BenchBrowser, dir: string): { stop(): Promise<void> } {
  const started = new Map<string, Promise<string>>();
  browser.onWorker((sessionId, name) => {
    started.set(sessionId, (async () => {
      await browser.send("Profiler.enable", {}, sessionId);
      await browser.send("Profiler.setSamplingInterval", { interval: 200 }, sessionId);
      await browser.send("Profiler.start", {}, sessionId);
      return name;
    })());
  });
  return {
    async stop() {
      mkdirSync(dir, { recursive: true });
      for (const [sessionId, starting] of started) {
        const name = (await starting.catch(() => "gone")).replace(/[^\w.-]+/g, "_") || "worker";
        const stopped = await browser.send<{ profile: unknown }>("Profiler.stop", {}, sessionId).catch(() => undefined);
        if (stopped) writeFileSync(join(dir, `${name}.cpuprofile`), JSON.stringify(stopped.profile));
      }
    },
  };
}
