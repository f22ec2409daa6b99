// A stream read in large chunks: JavaScript runs once per chunk, not once per network
// packet, and every step of JavaScript is CPU time the platform counts
// (https://developers.cloudflare.com/workers/platform/limits/#cpu-time). Optionally each
// read has a deadline (an upstream body that stands still: UPSTREAM_IDLE_TIMEOUT), watched
// by one timer per chunk, not per packet. The one reader of upstream and cache bodies in
// chunks: a multipart part (upload-part.ts), a body resumed after a cut
// (upstream/resuming-body.ts), a small body under its deadline (upstream/deadline.ts).

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

export interface ChunkOptions {
  /** Milliseconds one read may take before the source is cancelled as stalled; 0 or absent: no limit. */
  idleMs?: number;
  /** The error a stalled read fails with (the caller may abort what the body belongs to here); default: "sent nothing for N s". */
  stalled?: () => Error;
}

interface ChunkReader {
  next(size: number): Promise<ReadableStreamReadResult<Uint8Array>>;
  cancel(reason: unknown): Promise<void>;
  release(): void;
}

/** workerd's BYOB readAtLeast, which fills a whole buffer per read; other streams (tests in Node) read as they come. */
function chunkReader(source: ReadableStream<Uint8Array>): ChunkReader {
  const byob = readAtLeastReader(source);
  if (byob) {
    return {
      // A short read is the end of the stream or the last bytes before it; the next read says which.
      next: (size) => byob.readAtLeast(size, new Uint8Array(size)),
      cancel: (reason) => byob.cancel(reason),
      release: () => byob.releaseLock(),
    };
  }
  const plain = source.getReader();
  return {
    next: () => plain.read(),
    cancel: (reason) => plain.cancel(reason),
    release: () => plain.releaseLock(),
  };
}

/** One read, failed with `stalled()`'s error (the source cancelled) when it takes longer than `idleMs`. */
async function timedRead(reader: ChunkReader, size: number, idleMs: number, stalled: () => Error): Promise<ReadableStreamReadResult<Uint8Array>> {
  if (idleMs <= 0) return reader.next(size);
  let missed: Error | null = null;
  const timer = setTimeout(() => {
    missed = stalled();
    void reader.cancel(missed).catch(() => {});
  }, idleMs);
  try {
    const result = await reader.next(size);
    if (missed) throw missed;
    return result;
  } catch (error) {
    throw missed ?? error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The source's bytes in chunks of `size` (the last may be shorter; streams without BYOB,
 * tests in Node, as they come). Stopping early (the consumer leaving, a stalled read)
 * cancels the source.
 */
export async function* chunksOf(source: ReadableStream<Uint8Array>, size: number, options: ChunkOptions = {}): AsyncGenerator<Uint8Array> {
  const idleMs = options.idleMs ?? 0;
  const stalled = options.stalled ?? (() => new Error(`sent nothing for ${idleMs / 1000} s`));
  const reader = chunkReader(source);
  let finished = false;
  try {
    for (;;) {
      const result = await timedRead(reader, size, idleMs, stalled);
      if (result.value && result.value.byteLength > 0) yield result.value;
      if (result.done) {
        finished = true;
        return;
      }
    }
  } finally {
    if (!finished) await reader.cancel("not read further").catch(() => {});
    reader.release();
  }
}
