// Deadlines for every step the mirror asks of an upstream (issue #25): a manifest, a tag
// list, a token realm or a blob that stops answering would otherwise hold the client's
// request open for as long as the platform lets it. Two limits, both config vars:
// UPSTREAM_HEADERS_TIMEOUT, the answer's headers (every redirect hop included) must come
// within so many seconds; UPSTREAM_IDLE_TIMEOUT, a body must not stand still longer. A
// step that misses one fails with UpstreamTimeout, which the client sees as a 504 in the
// registry's error shape naming the upstream and the step (fetch.ts upstreamFailure).
// Small bodies (manifests, tag lists, token answers) are watched 64 KiB by 64 KiB here; blob
// bodies are watched by the reader that moves them 4 MiB at a time (resuming-body.ts; on the Paid plan and for /api/download),
// because a watch per network packet is JavaScript per packet, and CPU time is what the
// Free plan limits.

import { chunksOf } from "../cache/chunks.ts";
import type { UpstreamDeadlines } from "../config.ts";

/** An upstream step that missed its deadline. */
export class UpstreamTimeout extends Error {
  override name = "UpstreamTimeout";
  constructor(step: string, phase: "headers" | "idle", ms: number) {
    super(phase === "headers"
      ? `${step} did not answer within ${seconds(ms)} (UPSTREAM_HEADERS_TIMEOUT)`
      : `${step} sent nothing for ${seconds(ms)} (UPSTREAM_IDLE_TIMEOUT)`);
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

export interface DeadlineOptions {
  deadlines: UpstreamDeadlines;
  /** The step as an error names it, e.g. "GET <url>". */
  step: string;
  /** The caller's own signal (the client leaving); aborting it aborts the step. */
  signal?: AbortSignal;
  /** Watch the body for idleness read by read (small bodies only: it costs JavaScript per read). */
  watchBody: boolean;
}

/**
 * `call` with a signal that aborts when the caller's does or when the headers miss their
 * deadline; the answer's body is watched for idleness when asked. Throws UpstreamTimeout
 * for a missed deadline.
 */
export async function withDeadlines(call: (signal: AbortSignal) => Promise<Response>, options: DeadlineOptions): Promise<Response> {
  const { deadlines, step } = options;
  const controller = new AbortController();
  const parent = options.signal;
  const follow = () => controller.abort(parent?.reason);
  if (parent?.aborted) follow();
  else parent?.addEventListener("abort", follow, { once: true });
  let missed: UpstreamTimeout | null = null;
  const timer: ReturnType<typeof setTimeout> | undefined = deadlines.headersMs > 0
    ? setTimeout(() => {
      missed = new UpstreamTimeout(step, "headers", deadlines.headersMs);
      controller.abort(missed);
    }, deadlines.headersMs)
    : undefined;
  let response: Response;
  try {
    response = await call(controller.signal);
  } catch (error) {
    throw missed ?? error;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  if (!options.watchBody || !response.body || deadlines.idleMs <= 0) return response;
  return new Response(watchedBody(response.body, deadlines.idleMs, step, controller), response);
}

/** Bytes per read of a small body: the whole of most (a token answer, a manifest's first part). */
const SMALL_READ = 64 * 1024;

/**
 * `body`, each read of which (SMALL_READ bytes, or the end) must come within `idleMs`,
 * else the step is aborted (cache/chunks.ts watches the reads).
 */
function watchedBody(body: ReadableStream<Uint8Array>, idleMs: number, step: string, controller: AbortController): ReadableStream<Uint8Array> {
  const stalled = () => {
    const missed = new UpstreamTimeout(step, "idle", idleMs);
    controller.abort(missed);
    return missed;
  };
  const chunks = chunksOf(body, SMALL_READ, { idleMs, stalled });
  return new ReadableStream<Uint8Array>({
    async pull(out) {
      const { done, value } = await chunks.next();
      if (done) out.close();
      else out.enqueue(value);
    },
    cancel: async (reason) => {
      // The reader left early (a body over its cap): the connection goes at once.
      controller.abort(reason);
      await chunks.return(undefined).catch(() => {});
    },
  }, { highWaterMark: 0 });
}
