// Hashing a blob's bytes to find who lied (source-blame.ts, source-dispute.ts): a range
// as written (read back from the sink) or as a source sends it again, into a hasher of
// its own or fed on into one hashing a whole blob.

import type { SourceMeter } from "./source-meter.ts";
import type { BlobHasher, BlobHasherFactory } from "./types.ts";

/** Comparisons running at once: the refetch waits for the verdict. */
export const COMPARISONS = 4;
/** Read back in steps of this, so a long range never sits in memory whole. */
const READ_STEP = 1 << 20;

export type ReadBack = (start: number, length: number) => Promise<Uint8Array>;

export interface Refetch {
  createHasher: BlobHasherFactory;
  signal: AbortSignal;
}

/** SHA-256 of [start, end) of the blob as written; undefined if it cannot be read. */
export async function readHash(read: ReadBack, start: number, end: number, createHasher: BlobHasherFactory): Promise<string | undefined> {
  const hasher = await newHasher(createHasher);
  return (await readInto(hasher, read, start, end)) ? await hasher.digest("hex") : undefined;
}

/** SHA-256 of [start, end) of `digest` fetched from `meter`; undefined if it cannot be had. */
export async function rangeHash(meter: SourceMeter, digest: string, start: number, end: number, o: Refetch): Promise<string | undefined> {
  const hasher = await newHasher(o.createHasher);
  return (await fetchInto(hasher, meter, digest, start, end, o.signal)) ? await hasher.digest("hex") : undefined;
}

/** Feeds [start, end) of the blob as written to `hasher`; false if it cannot be read. */
export async function readInto(hasher: BlobHasher, read: ReadBack, start: number, end: number): Promise<boolean> {
  try {
    for (let at = start; at < end; at += READ_STEP) {
      const length = Math.min(READ_STEP, end - at);
      const bytes = await read(at, length);
      if (bytes.length !== length) return false;
      await hasher.update(bytes);
    }
    return true;
  } catch {
    return false;
  }
}

/** Feeds [start, end) of `digest`, fetched from `meter`, to `hasher`; false if it cannot be had whole. */
export async function fetchInto(hasher: BlobHasher, meter: SourceMeter, digest: string, start: number, end: number, signal: AbortSignal): Promise<boolean> {
  const controller = new AbortController();
  try {
    const body = await meter.source.fetchRange(digest, start, end, AbortSignal.any([signal, controller.signal]));
    const reader = body.getReader();
    let at = start;
    try {
      while (at < end) {
        const { done, value } = await reader.read();
        if (done === true || value === undefined) return false;
        const piece = value.subarray(0, Math.min(value.length, end - at));
        await hasher.update(piece);
        at += piece.length;
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
    return true;
  } catch {
    return false;
  } finally {
    controller.abort();
  }
}

export async function newHasher(createHasher: BlobHasherFactory): Promise<BlobHasher> {
  const hasher = await createHasher();
  hasher.init?.();
  return hasher;
}
