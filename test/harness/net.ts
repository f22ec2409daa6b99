// Loopback networking helpers for the harness: free ports and readiness waits.
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Asks `ready` every `intervalMs` until it says yes, or fails after `timeoutMs` with
 * `failure()` (which sees the last error `ready` threw). The harness's own poll: it
 * also runs outside tests (global set-up, `npm run harness`), where expect.poll can't.
 */
export async function waitUntil(ready: () => Promise<boolean>, timeoutMs: number, failure: (lastError: unknown) => string, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await ready()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(failure(lastError));
}

/** Polls `url` until it answers with any HTTP status, or fails after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, describe: () => string = () => ""): Promise<void> {
  await waitUntil(
    async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      return true;
    },
    timeoutMs,
    (lastError) => `${url} did not answer within ${timeoutMs} ms (${String(lastError)}) ${describe()}`,
  );
}
