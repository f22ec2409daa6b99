// A range read whole (a Blob: web/lib/held-bodies.ts) fed to a SHA-256: read back from
// the browser's store in pieces into one reused buffer, so hashing it allocates nothing
// per piece.
import { DockerdlError } from "../../../shared/errors.ts";
import type { HeldBytes } from "../../../shared/http.ts";

const PIECE = 1 << 20;

/** Held bytes are this app's Blobs (web/lib/byob-body.ts): anything else is a bug. */
export function asBlob(held: HeldBytes): Blob {
  if (!(held instanceof Blob)) throw new DockerdlError("WRITE_FAILED", "held bytes that are not a Blob reached the download", { hint: "this is a bug in dockerdl" });
  return held;
}

/** Feeds every byte of `blob` to `hasher`, in order; fails if the Blob cannot be read whole. */
export async function hashBlob(hasher: { update(data: Uint8Array): unknown }, blob: Blob): Promise<void> {
  const stream = blob.stream();
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = stream.getReader({ mode: "byob" });
  } catch {
    // a browser whose Blob streams are not byte streams
  }
  let hashed = 0;
  if (byob !== undefined) {
    let buffer = new ArrayBuffer(PIECE);
    for (;;) {
      const { done, value } = await byob.read(new Uint8Array(buffer));
      if (value !== undefined) buffer = value.buffer;
      if (done || value === undefined) break;
      hasher.update(value);
      hashed += value.length;
    }
  } else {
    const reader = stream.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      hasher.update(r.value);
      hashed += r.value.length;
    }
  }
  if (hashed !== blob.size) throw new Error(`reading back a range held in the browser gave ${hashed} of its ${blob.size} bytes`);
}
