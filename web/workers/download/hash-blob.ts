// A range read whole (a Blob: web/lib/held-bodies.ts) fed to a SHA-256: read back from
// the browser's store whole, with arrayBuffer().
import { DockerdlError } from "../../../shared/errors.ts";
import type { HeldBytes } from "../../../shared/http.ts";

/**
 * Bytes read back at once: HELD_MAX of web/lib/held-bodies.ts, the most a body is read
 * whole, so each held range is one read (not imported: that module sets a global the
 * browser tests look for in the download worker, not here). Each read of a Blob is a round trip to the browser's store and its blob
 * files: by hand, a 640 MiB layer through the PWA took 12.2–13.9 s in 1 MiB slices and
 * 8.7–8.9 s in one read per range.
 */
const PIECE = 32 << 20;

/** Held bytes are this app's Blobs (web/lib/byob-body.ts): anything else is a bug. */
export function asBlob(held: HeldBytes): Blob {
  if (!(held instanceof Blob)) throw new DockerdlError("WRITE_FAILED", "held bytes that are not a Blob reached the download", { hint: "this is a bug in dockerdl" });
  return held;
}

/**
 * Feeds every byte of `blob` to `hasher`, in order; fails if the Blob cannot be read whole.
 * Read with arrayBuffer(), a slice of PIECE at a time, not through blob.stream(): in the bench's
 * Chromium, a download of a 2 GiB layer whose 16 MiB ranges were read whole stalled for
 * good, at random, after some 90 of them, every Blob built and waiting to be hashed and
 * written (3 runs in 5, by hand; none in 7 since); a range read whole is a Blob partly in memory and
 * partly in the browser's blob files.
 */
export async function hashBlob(hasher: { update(data: Uint8Array): unknown }, blob: Blob): Promise<void> {
  let hashed = 0;
  for (let at = 0; at < blob.size; at += PIECE) {
    const piece = new Uint8Array(await blob.slice(at, Math.min(blob.size, at + PIECE)).arrayBuffer());
    if (piece.length === 0) break;
    hasher.update(piece);
    hashed += piece.length;
  }
  if (hashed !== blob.size) throw new Error(`reading back a range held in the browser gave ${hashed} of its ${blob.size} bytes`);
}
