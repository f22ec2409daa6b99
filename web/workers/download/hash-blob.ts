// A range read whole (a Blob: web/lib/held-bodies.ts) fed to a SHA-256: read back from
// the browser's store through blob.stream() into one reused buffer, the fastest way
// found, with a watchdog: a read that brings nothing for STALL_MS is given up, and the
// rest of the Blob is read with slice() and arrayBuffer() instead.
//
// Why both. Measured in the bench's Chromium through wrangler dev, a 640 MiB layer in
// the browser floor's page (bench/browser-floor.ts), two runs each: Blobs hashed through
// blob.stream() 5.4–5.7 s, through arrayBuffer() of up to 32 MiB 7.7–8.0 s. But in the
// PWA, a download of a 2 GiB layer whose ranges were read whole stalled for good, at
// random, with blob.stream() (3 runs in 5, by hand), every Blob built and waiting to be
// hashed and written; with arrayBuffer(), none stalled in 7 runs.
import { DockerdlError } from "../../../shared/errors.ts";
import type { HeldBytes } from "../../../shared/http.ts";

/** What a stream read fills at most at once (one buffer, reused). */
const STREAM_PIECE = 1 << 20;
/**
 * What a fallback read reads at once: HELD_MAX of web/lib/held-bodies.ts, the most a body
 * is read whole, so each held range is one read (not imported: that module sets a global
 * the browser tests look for in the download worker, not here).
 */
const FALLBACK_PIECE = 32 << 20;
/**
 * A read of a Blob that brings nothing for this long has stalled. A Blob lies in the
 * browser's own memory and blob files: a read of 1 MiB takes milliseconds even on a
 * busy 2-core machine, so this is generous and still far shorter than a frozen bar.
 */
export const STALL_MS = 10_000;

/** Held bytes are this app's Blobs (web/lib/byob-body.ts): anything else is a bug. */
export function asBlob(held: HeldBytes): Blob {
  if (!(held instanceof Blob)) throw new DockerdlError("WRITE_FAILED", "held bytes that are not a Blob reached the download", { hint: "this is a bug in dockerdl" });
  return held;
}

/** How a Blob was read back: `stalled` when its stream stalled, failed or ended short and the rest was read with arrayBuffer(). */
export interface HashedBlob {
  stalled: boolean;
}

/**
 * Feeds every byte of `blob` to `hasher`, in order; fails if the Blob cannot be read whole.
 * Reads through blob.stream(); if that brings nothing for `stallMs`, fails or ends short,
 * the rest is read with slice() and arrayBuffer(), each read under the same watchdog.
 */
export async function hashBlob(hasher: { update(data: Uint8Array): unknown }, blob: Blob, stallMs = STALL_MS): Promise<HashedBlob> {
  const streamed = await hashStream(hasher, blob, stallMs);
  let hashed = streamed.hashed;
  for (let at = hashed; at < blob.size; at += FALLBACK_PIECE) {
    const end = Math.min(blob.size, at + FALLBACK_PIECE);
    const piece = new Uint8Array(await watched(blob.slice(at, end).arrayBuffer(), stallMs, () => {}));
    if (piece.length !== end - at) break;
    hasher.update(piece);
    hashed += piece.length;
  }
  if (hashed !== blob.size) throw new Error(`reading back a range held in the browser gave ${hashed} of its ${blob.size} bytes`);
  return { stalled: streamed.stalled };
}

/** Hashes `blob` through its stream as far as it goes: the bytes hashed, and whether it stopped short of the end. */
async function hashStream(hasher: { update(data: Uint8Array): unknown }, blob: Blob, stallMs: number): Promise<{ hashed: number; stalled: boolean }> {
  let byob: ReadableStreamBYOBReader;
  try {
    byob = blob.stream().getReader({ mode: "byob" });
  } catch {
    // a browser whose Blob streams are not byte streams: the fallback reads it all
    return { hashed: 0, stalled: false };
  }
  let hashed = 0;
  let buffer = new ArrayBuffer(STREAM_PIECE);
  try {
    for (;;) {
      const { done, value } = await watched(byob.read(new Uint8Array(buffer)), stallMs, () => void byob.cancel().catch(() => {}));
      if (value === undefined || done) return { hashed, stalled: hashed < blob.size };
      buffer = value.buffer;
      hasher.update(value);
      hashed += value.length;
    }
  } catch (error) {
    if (error instanceof Stalled || error instanceof TypeError || (error instanceof Error && error.name === "NotReadableError")) return { hashed, stalled: true };
    throw error;
  }
}

class Stalled extends Error {}

/** `work`, or a Stalled error (after `giveUp`) if it has not settled within `ms`. */
function watched<T>(work: Promise<T>, ms: number, giveUp: () => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stall = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      giveUp();
      reject(new Stalled(`reading back a range held in the browser brought nothing for ${ms / 1000} s`));
    }, ms);
  });
  return Promise.race([work, stall]).finally(() => clearTimeout(timer));
}
