// Samples the JS heap of a page and of its dedicated workers through CDP while a
// download runs, keeping the largest values seen. Playwright's CDP sessions are
// page-only, so workers are reached the old way: auto-attach, then messages wrapped
// for the target. Workers that a reload starts are attached as they appear.
import type { BrowserContext, Page } from "playwright-core";

export interface HeapPeaks {
  /** Largest JSHeapUsedSize of the page. */
  page: number;
  /** Largest sum of the dedicated workers' used heap at one sample (0 when none answered). */
  workers: number;
}

export interface HeapSampler {
  peaks(): HeapPeaks;
  stop(): Promise<HeapPeaks>;
}

export async function sampleHeap(context: BrowserContext, page: Page, periodMs = 500): Promise<HeapSampler> {
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  const workers = new Set<string>();
  let nextId = 1;
  const answers = new Map<number, (value: { usedSize: number }) => void>();
  cdp.on("Target.attachedToTarget", (event: { sessionId: string; targetInfo: { type: string } }) => {
    if (event.targetInfo.type === "worker") workers.add(event.sessionId);
  });
  cdp.on("Target.detachedFromTarget", (event: { sessionId: string }) => workers.delete(event.sessionId));
  cdp.on("Target.receivedMessageFromTarget", (event: { message: string }) => {
    const message = JSON.parse(event.message) as { id?: number; result?: { usedSize: number } };
    if (message.id !== undefined && message.result) answers.get(message.id)?.(message.result);
  });
  await cdp.send("Target.setAutoAttach", { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  const workerHeap = async (sessionId: string): Promise<number> => {
    const id = nextId++;
    const answer = new Promise<{ usedSize: number }>((resolve) => answers.set(id, resolve));
    await cdp.send("Target.sendMessageToTarget", { sessionId, message: JSON.stringify({ id, method: "Runtime.getHeapUsage" }) }).catch(() => {});
    const result = await Promise.race([answer, new Promise<undefined>((r) => setTimeout(() => r(undefined), 1000))]);
    answers.delete(id);
    return result?.usedSize ?? 0;
  };
  const peaks: HeapPeaks = { page: 0, workers: 0 };
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      try {
        const { metrics } = (await cdp.send("Performance.getMetrics")) as { metrics: { name: string; value: number }[] };
        peaks.page = Math.max(peaks.page, metrics.find((m) => m.name === "JSHeapUsedSize")?.value ?? 0);
      } catch {
        // the page is between documents (a reload)
      }
      const sizes = await Promise.all([...workers].map(workerHeap));
      peaks.workers = Math.max(peaks.workers, sizes.reduce((a, b) => a + b, 0));
      await new Promise((r) => setTimeout(r, periodMs)); // the sampling period, not a wait
    }
  })();
  return {
    peaks: () => ({ ...peaks }),
    async stop() {
      sampling = false;
      await loop;
      await cdp.detach().catch(() => {});
      return { ...peaks };
    },
  };
}
