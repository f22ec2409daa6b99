// The largest JS heap a page and its dedicated download worker use while something runs:
// CDP Performance.getMetrics on the page; Runtime.getHeapUsage on the worker, asked the
// old way (messages wrapped for the target), since Playwright's sessions are page-only.
// Used by `npm run bench` (bench/browser.ts) and by heap.bench.ts.
import type { CDPSession, Page } from "playwright-core";
import type { Browser } from "./browser.ts";

export interface HeapPeaks {
  /** Bytes; 0 when never measured. */
  page: number;
  worker: number;
}

export interface HeapSampler {
  /** Starts sampling every `periodMs`. */
  start(periodMs?: number): void;
  /** Stops and returns the peaks seen. */
  stop(): Promise<HeapPeaks>;
}

/** Attach before the page starts its worker (before it opens the app). */
export async function heapSampler(browser: Browser, page: Page): Promise<HeapSampler> {
  const cdp: CDPSession = await browser.context.newCDPSession(page);
  await cdp.send("Performance.enable");
  let workerSession: string | undefined;
  let nextId = 1;
  const answers = new Map<number, (value: { usedSize: number }) => void>();
  cdp.on("Target.attachedToTarget", (event: { sessionId: string; targetInfo: { type: string; url: string; title: string } }) => {
    const { type, url, title } = event.targetInfo;
    // The download worker (named dockerdl-download), not the explorer's.
    if (type === "worker" && (workerSession === undefined || `${url} ${title}`.includes("download"))) workerSession = event.sessionId;
  });
  cdp.on("Target.receivedMessageFromTarget", (event: { message: string }) => {
    const message = JSON.parse(event.message) as { id?: number; result?: { usedSize: number } };
    if (message.id !== undefined && message.result) answers.get(message.id)?.(message.result);
  });
  await cdp.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  const workerHeap = async (): Promise<number | undefined> => {
    if (!workerSession) return undefined;
    const id = nextId++;
    const answer = new Promise<{ usedSize: number }>((resolve) => answers.set(id, resolve));
    await cdp.send("Target.sendMessageToTarget", { sessionId: workerSession, message: JSON.stringify({ id, method: "Runtime.getHeapUsage" }) }).catch(() => {});
    const result = await Promise.race([answer, new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000))]);
    answers.delete(id);
    return result?.usedSize;
  };
  const peaks: HeapPeaks = { page: 0, worker: 0 };
  let sampling = false;
  let loop: Promise<void> = Promise.resolve();
  return {
    start(periodMs = 500) {
      sampling = true;
      loop = (async () => {
        while (sampling) {
          const { metrics } = (await cdp.send("Performance.getMetrics")) as { metrics: { name: string; value: number }[] };
          peaks.page = Math.max(peaks.page, metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? 0);
          peaks.worker = Math.max(peaks.worker, (await workerHeap()) ?? 0);
          await new Promise((r) => setTimeout(r, periodMs)); // the sampling period, not a wait
        }
      })();
    },
    async stop() {
      sampling = false;
      await loop;
      await cdp.detach().catch(() => {});
      return { ...peaks };
    },
  };
}
