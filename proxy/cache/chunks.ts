// A stream read in large chunks: JavaScript runs once per chunk, not once per network
// packet, and every step of JavaScript is CPU time the platform counts
// (https://developers.cloudflare.com/workers/platform/limits/#cpu-time).
import { streamChunks } from "../../shared/http.ts";

/** workerd's extension of the BYOB reader (not in the DOM's types, which tests compile against). */
interface WorkerdBYOB {
  readAtLeast(minBytes: number, view: Uint8Array): Promise<ReadableStreamReadResult<Uint8Array>>;
}

/** A BYOB reader with workerd's `readAtLeast`, which fills a whole buffer per read; null, and the source left unlocked, where there is none (tests in Node). */
export function readAtLeastReader(source: ReadableStream<Uint8Array>): (ReadableStreamBYOBReader & WorkerdBYOB) | null {
  let byob: (ReadableStreamBYOBReader & Partial<WorkerdBYOB>) | null;
  try {
    byob = source.getReader({ mode: "byob" });
  } catch {
    return null;
  }
  if (typeof (byob as Partial<WorkerdBYOB>).readAtLeast === "function") return byob as ReadableStreamBYOBReader & WorkerdBYOB;
  byob.releaseLock();
  return null;
}

/**
 * The source's bytes in chunks of `size` (the last may be shorter). A fetch body yields
 * chunks of a few KiB; workerd's BYOB `readAtLeast` fills a whole buffer per read instead. Other streams (tests in Node) are read as they come.
 */
export async function* chunksOf(source: ReadableStream<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  const byob = readAtLeastReader(source);
  if (byob) {
    try {
      for (;;) {
        const { done, value } = await byob.readAtLeast(size, new Uint8Array(size));
        if (value && value.byteLength > 0) yield value;
        if (done || !value || value.byteLength < size) {
          if (!done) {
            // A short read is the end of the stream; confirm, so nothing is left behind.
            const rest = await byob.read(new Uint8Array(size));
            if (!rest.done && rest.value && rest.value.byteLength > 0) {
              yield rest.value;
              continue;
            }
          }
          return;
        }
      }
    } finally {
      byob.releaseLock();
    }
  }
  yield* streamChunks(source);
}
