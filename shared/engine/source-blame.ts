// Who lied: a multi-source pull (multi-source.ts) hashes the bytes each source served
// of each blob, range by range (ServedLog). When the blob fails its digest, each range
// is fetched again from another source and the hashes compared: a range whose bytes
// differ is asked of a third source when there is one, and the source the others
// contradict is blamed; with only two, the one whose bytes made the corrupt blob is.

import type { SourceMeter } from "./source-meter.ts";
import type { BlobHasher, BlobHasherFactory } from "./types.ts";

/** Bytes [start, end) of a blob, as one source sent them, hashed as they came. */
export interface Served {
  meter: SourceMeter;
  start: number;
  end: number;
  hasher: Promise<BlobHasher>;
  /** Updates in the order they were made. */
  hashing: Promise<unknown>;
}

export class ServedLog {
  readonly #byDigest = new Map<string, Served[]>();

  async record(digest: string, meter: SourceMeter, start: number, bytes: Uint8Array, createHasher: BlobHasherFactory): Promise<void> {
    let list = this.#byDigest.get(digest);
    if (list === undefined) this.#byDigest.set(digest, (list = []));
    let served = list.findLast((s) => s.meter === meter && s.end === start);
    if (served === undefined) {
      served = { meter, start, end: start, hasher: newHasher(createHasher), hashing: Promise.resolve() };
      list.push(served);
    }
    // Extended before anything is awaited, so the next piece finds this range.
    served.end = start + bytes.length;
    const { hasher } = served;
    served.hashing = served.hashing.then(async () => (await hasher).update(bytes));
    await served.hashing;
  }

  /** The ranges served of `digest` so far, forgotten here (a refetch starts a new log). */
  take(digest: string): Served[] {
    const list = this.#byDigest.get(digest) ?? [];
    this.#byDigest.delete(digest);
    return list;
  }
}

export interface BlameHost {
  /** Sources that could serve the blob, other than those in `exclude`, best first. */
  others(exclude: ReadonlySet<SourceMeter>): SourceMeter[];
  blame(meter: SourceMeter, start: number, end: number, reason: string): void;
}

/** Comparisons running at once: the refetch waits for the verdict. */
const PARALLEL = 4;

/**
 * Compares each served range with another source's, a few at a time, taking each
 * source's ranges in turn (a liar is met in the first round); stops at the first liar.
 */
export async function investigate(digest: string, served: readonly Served[], host: BlameHost, createHasher: BlobHasherFactory): Promise<void> {
  const queue = roundRobin(served.filter((r) => r.end > r.start));
  let found = false;
  const check = async (range: Served) => {
    await range.hashing;
    const mine = await (await range.hasher).digest("hex");
    const [second, third] = host.others(new Set([range.meter]));
    if (second === undefined || found) return;
    const theirs = await rangeHash(second, digest, range.start, range.end, createHasher);
    if (theirs === undefined || theirs === mine || found) return;
    const tiebreak = third === undefined ? undefined : await rangeHash(third, digest, range.start, range.end, createHasher);
    if (found) return;
    found = true;
    if (tiebreak !== undefined && tiebreak === mine) {
      host.blame(second, range.start, range.end, `${range.meter.name} and ${third?.name} agree on those bytes and it does not`);
    } else {
      host.blame(range.meter, range.start, range.end, `${second.name}${tiebreak === undefined ? "" : ` and ${third?.name}`} sent different bytes there, and the layer failed its digest`);
    }
  };
  const worker = async () => {
    for (let range = queue.shift(); range !== undefined && !found; range = queue.shift()) await check(range);
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
}

/** One range of each source in turn. */
function roundRobin(served: readonly Served[]): Served[] {
  const bySource = new Map<SourceMeter, Served[]>();
  for (const range of served) bySource.set(range.meter, [...(bySource.get(range.meter) ?? []), range]);
  const out: Served[] = [];
  for (let i = 0; out.length < served.length; i++) for (const list of bySource.values()) if (i < list.length) out.push(list[i]);
  return out;
}

/** SHA-256 of [start, end) of `digest` fetched from `meter`; undefined if it cannot be had. */
async function rangeHash(meter: SourceMeter, digest: string, start: number, end: number, createHasher: BlobHasherFactory): Promise<string | undefined> {
  const controller = new AbortController();
  try {
    const body = await meter.source.fetchRange(digest, start, end, controller.signal);
    const reader = body.getReader();
    const hasher = await newHasher(createHasher);
    let at = start;
    try {
      while (at < end) {
        const { done, value } = await reader.read();
        if (done === true || value === undefined) return undefined;
        const piece = value.subarray(0, Math.min(value.length, end - at));
        await hasher.update(piece);
        at += piece.length;
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
    return await hasher.digest("hex");
  } catch {
    return undefined;
  } finally {
    controller.abort();
  }
}

async function newHasher(createHasher: BlobHasherFactory): Promise<BlobHasher> {
  const hasher = await createHasher();
  hasher.init?.();
  return hasher;
}
