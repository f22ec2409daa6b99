// Servers that ignore Range (RFC 9110 allows it; some registry mirrors, proxy caches and
// object stores do) answer every ranged GET with 200 and the whole blob. Asking one for
// a blob's chunks in parallel would fetch the blob once per chunk and hold a connection
// per copy. So a blob gets one request at a time until an answer shows the server
// honours Range (a 206); the request that got a 200 reads on through the blob's following
// chunks (chunks.ts, FetchExtras.next), and nothing else of that blob is asked for
// meanwhile. The cost where Range works: a blob's second request waits for the first
// one's headers, one round trip.

import type { Chunk } from "./chunks.ts";
import type { BlobSource } from "./types.ts";

export class RangeGate {
  /** Blobs a 206 came for: their chunks may be asked for in parallel. */
  readonly #honoured = new Set<string>();
  /** Requests running per blob. */
  readonly #running = new Map<string, number>();
  readonly #opened: () => void;

  /** `opened` is told when a blob's chunks may go in parallel (the pool's poke). */
  constructor(opened: () => void) {
    this.#opened = opened;
  }

  /** The source, watched: a body that ends with its range opens its blob. */
  watch(source: BlobSource): BlobSource {
    return {
      fetchRange: async (digest, start, end, signal) => {
        const body = await source.fetchRange(digest, start, end, signal);
        if (body.runsOn !== true && !this.#honoured.has(digest)) {
          this.#honoured.add(digest);
          this.#opened();
        }
        return body;
      },
    };
  }

  /** May a request for `chunk` start now? */
  allows(chunk: Chunk): boolean {
    return this.#honoured.has(chunk.digest) || !this.busy(chunk.digest);
  }

  /** Is a request for blob `digest` running? */
  busy(digest: string): boolean {
    return this.#running.has(digest);
  }

  /** Runs `task`, a request for blob `digest`, counted while it runs. */
  async running<T>(digest: string, task: () => Promise<T>): Promise<T> {
    this.#running.set(digest, (this.#running.get(digest) ?? 0) + 1);
    try {
      return await task();
    } finally {
      const left = (this.#running.get(digest) ?? 1) - 1;
      if (left > 0) this.#running.set(digest, left);
      else this.#running.delete(digest);
    }
  }

  /**
   * The chunk a body that runs on past `done` goes on into: the one that starts where
   * `done` ends, when it is finished already (its bytes pass by) or `take` takes it off
   * the queue; undefined when another request has it.
   */
  static next(done: Chunk, chunks: readonly Chunk[], take: (chunk: Chunk) => boolean): Chunk | undefined {
    const next = chunks.find((c) => c.start === done.end && c !== done && c.end > c.start);
    if (next === undefined) return undefined;
    if (next.start + next.received >= next.end) return next;
    return take(next) ? next : undefined;
  }
}
