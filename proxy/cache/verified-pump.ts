// Streams a blob from upstream to the client and, at the same time, to the cache, while
// the shared verifier checks it. Nothing waits for the whole blob: memory is bounded by a
// small window per consumer. The verifier holds the last chunk back until digest and size
// are known, so a corrupt or cut blob reaches the client as a broken transfer (and the
// cache upload is aborted) instead of a clean end of file with bad bytes.
import { verifiedChunks, type ExpectedBlob } from "../../shared/verify.ts";
import { nativeSha256 } from "../sha256.ts";

/** Bytes the client may have in flight before the pump waits for it. */
const CLIENT_WINDOW = 4 * 1024 * 1024;
/**
 * Bytes the cache may lag behind. Beyond this the pump waits for R2 rather than buffer
 * more: a client faster than R2 is slowed to R2's pace, not let run out of memory.
 */
const CACHE_LAG = 32 * 1024 * 1024;

/** A writer that lets `window` bytes be in flight and survives its consumer going away. */
class WindowedSink {
  private inFlight = 0;
  private wake: (() => void) | null = null;
  failed = false;
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly window: number;

  constructor(writable: WritableStream<Uint8Array>, window: number) {
    this.writer = writable.getWriter();
    this.window = window;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.failed) return;
    const size = chunk.byteLength;
    this.inFlight += size;
    this.writer.write(chunk).then(
      () => {
        this.inFlight -= size;
        this.notify();
      },
      () => {
        this.failed = true;
        this.notify();
      },
    );
    while (this.inFlight > this.window && !this.failed) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify() {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async close(): Promise<void> {
    if (this.failed) return;
    await this.writer.close().catch(() => {
      this.failed = true;
    });
  }

  async abort(reason: unknown): Promise<void> {
    await this.writer.abort(reason).catch(() => {});
  }
}


/** Read size: each chunk costs a few promise hops per consumer, so fewer, larger ones. */
const CHUNK = 256 * 1024;

/**
 * The source's bytes in chunks of CHUNK (the last may be shorter). A fetch body yields
 * chunks of a few KiB, and moving each through the hasher and two streams made the pump
 * ten times slower than a plain pass-through; workerd's BYOB `readAtLeast` fills a whole
 * buffer per read instead. Other streams (tests in Node) are read as they come.
 */
async function* chunksOf(source: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = source.getReader({ mode: "byob" });
  } catch {
    byob = null;
  }
  if (byob && typeof byob.readAtLeast === "function") {
    try {
      for (;;) {
        const { done, value } = await byob.readAtLeast(CHUNK, new Uint8Array(CHUNK));
        if (value && value.byteLength > 0) yield value;
        if (done || !value || value.byteLength < CHUNK) {
          if (!done) {
            // A short read is the end of the stream; confirm, so nothing is left behind.
            const rest = await byob.read(new Uint8Array(CHUNK));
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
  byob?.releaseLock();
  const reader = source.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

export interface PumpOptions {
  clientWindow?: number;
  cacheLag?: number;
  /** End the pump (cache upload aborted) when the client goes away, instead of filling on for nobody. */
  stopWithClient?: boolean;
  /** Asked between chunks; false ends the pump the same way (a background fill no client wants any more). */
  wanted?: () => boolean;
}

/**
 * Copies `source` to `client` and `cache` (either may be null), checking the bytes
 * against the blob's digest and size. Resolves when all is written and verified; rejects,
 * with both outputs aborted, on a mismatch or when the source fails, and with
 * `stopWithClient` when the client goes away (otherwise the cache is filled on), or when
 * `wanted` says no one wants the blob any more.
 */
export async function pumpVerified(
  source: ReadableStream<Uint8Array>,
  expected: ExpectedBlob,
  client: WritableStream<Uint8Array> | null,
  cache: WritableStream<Uint8Array> | null,
  options: PumpOptions = {},
): Promise<void> {
  const clientSink = client && new WindowedSink(client, options.clientWindow ?? CLIENT_WINDOW);
  const sinks = [clientSink, cache && new WindowedSink(cache, options.cacheLag ?? CACHE_LAG)].filter((s): s is WindowedSink => s !== null);
  const forward = async (chunk: Uint8Array) => {
    await Promise.all(sinks.map((sink) => sink.write(chunk)));
    if (sinks.every((sink) => sink.failed)) throw new Error("every consumer of the blob went away");
    if (options.stopWithClient && clientSink?.failed) throw new Error("the client went away; the blob is left uncached");
    if (options.wanted && !options.wanted()) throw new Error("no client has read the blob for a while; the background fill stops");
  };
  try {
    for await (const chunk of verifiedChunks(chunksOf(source), expected, nativeSha256(), `the blob ${expected.digest} from upstream`)) {
      await forward(chunk);
    }
    await Promise.all(sinks.map((sink) => sink.close()));
  } catch (error) {
    await source.cancel(error).catch(() => {});
    await Promise.all(sinks.map((sink) => sink.abort(error)));
    throw error;
  }
}
