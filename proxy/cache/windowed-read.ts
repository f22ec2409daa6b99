// Every read of a cached blob's bytes (a whole blob, a client's range of one, a layer of
// /api/download) goes through here: one R2 read when it fits in a window, else ranged
// reads of at most `window` bytes, one after another (the next asked for while the one
// before streams), piped natively, with no JS per chunk, into one FixedLengthStream of
// the span's length, which errors if the reads bring more or fewer bytes than that.
// What a read holds is so bounded by the window, whatever the blob's size and however
// R2 stores it: the local R2 (miniflare's r2/bucket.worker.js) pours a multipart
// object's parts through a JS TransformStream that buffers a whole-object `get` in
// memory, while production R2 streams a body and serves any range of any object
// (Workers API reference: R2GetOptions.range, "Ranged reads"). A FixedLengthStream per
// window would hold each window to its length too, but in workerd a pipeThrough one,
// piped on with preventClose, never settles; so the length is held for the whole span.
import type { ServedRange } from "../v2/range.ts";
import type { BlobStore, StoredBody } from "./store.ts";

/** R2 reads of at most `window` bytes covering `span`, in order. */
function windowsOf(span: ServedRange, window: number): ServedRange[] {
  const windows: ServedRange[] = [];
  for (let offset = span.offset; offset < span.offset + span.length; offset += window) {
    windows.push({ offset, length: Math.min(window, span.offset + span.length - offset) });
  }
  return windows.length > 0 ? windows : [span];
}

/**
 * The object at `key` (of `size` bytes), whole or only `range`, as a stream of exactly
 * that many bytes; null when R2 no longer holds it at the first read. A later read that
 * finds it gone or fails, or bytes of another length, error the stream: the client sees
 * a broken transfer, never a complete one.
 */
export async function readWindowed(store: BlobStore, key: string, size: number, range: ServedRange | null, window: number): Promise<ReadableStream<Uint8Array> | null> {
  const span = range ?? { offset: 0, length: size };
  const windows = windowsOf(span, window);
  // One window: one read, as before (a whole small object without a Range).
  const first = await store.get(key, windows.length === 1 && !range ? {} : { range: windows[0] });
  if (!first) return null;
  if (windows.length === 1) return first.body as ReadableStream<Uint8Array>;
  const out = new FixedLengthStream(span.length);
  void pourWindows(store, key, windows, Promise.resolve(first), out.writable)
    .then(() => out.writable.close())
    .catch(async (error: unknown) => {
      // Also where a client that leaves ends up; a cache that loses the blob is worth a line too.
      console.warn(`reading ${key} from the cache stopped: ${String(error)}`);
      await out.writable.abort(error).catch(() => {});
    });
  return out.readable;
}

/**
 * The object at `key` (of `size` bytes) poured into `out`, which stays open: ranged reads
 * of at most `window` bytes, each piped natively (no JavaScript per chunk, which would be
 * CPU time the platform counts). For /api/download, which pours every layer of a tar into
 * one stream. Rejects when the object is gone or a read fails; `out` is left to the caller.
 */
export function pourWindowed(store: BlobStore, key: string, size: number, window: number, out: WritableStream): Promise<void> {
  const windows = windowsOf({ offset: 0, length: size }, window);
  return pourWindows(store, key, windows, store.get(key, windows.length === 1 ? {} : { range: windows[0] }), out);
}

/** `windows` of the object piped into `out` in order (`first` the read of the first), `out` left open. */
async function pourWindows(store: BlobStore, key: string, windows: ServedRange[], first: Promise<StoredBody | null>, out: WritableStream): Promise<void> {
  let next = first;
  try {
    for (let i = 0; i < windows.length; i++) {
      const object = await next;
      if (!object) throw new Error(`${key} left the cache while it was read`);
      // The next read is asked for now, so its latency hides behind this one's bytes: at
      // most two windows are open at once.
      next = i + 1 < windows.length ? store.get(key, { range: windows[i + 1] }) : Promise.resolve(null);
      next.catch(() => {});
      await object.body.pipeTo(out, { preventClose: true, preventAbort: true });
    }
  } catch (error) {
    await next.then((object) => object?.body.cancel()).catch(() => {});
    throw error;
  }
}
