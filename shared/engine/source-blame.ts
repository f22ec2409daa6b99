// Who lied: a multi-source pull (multi-source.ts) notes which source served which bytes
// of each blob (ServedLog). With a sink that reads back, the ranges are all it notes:
// when it has to, it reads a range back from the file and hashes it then, so a pull
// where nobody lies hashes each byte once (the blob's own digest). Without one, each
// range is hashed as it passes (its bytes are gone by the time anybody asks).
// When the blob fails its digest, pieces of the ranges are fetched again from another
// source and the hashes compared: a piece whose bytes differ is asked of the other
// sources one by one until two agree, and the source they contradict is blamed (two
// liars may be asked first); with only one answer against the writer's, a difference
// alone does not say who lied, and source-dispute.ts asks the digest.

import { COMPARISONS, newHasher, rangeHash, readHash } from "./range-hash.ts";
import { settle, type Dispute } from "./source-dispute.ts";
import type { SourceMeter } from "./source-meter.ts";
import type { BlobHasher, BlobHasherFactory } from "./types.ts";

/** Ranges are compared in pieces of at most this: a comparison costs at most this much. */
export const PIECE = 4 << 20;

/** Bytes [start, end) of a blob, as one source sent them. */
export interface Served {
  meter: SourceMeter;
  start: number;
  end: number;
  /** Without read-back: the range hashed as it came (updates in the order they were made). */
  hash?: { hasher: Promise<BlobHasher>; hashing: Promise<unknown>; hex?: Promise<string> };
  /** Starts of the pieces another source agreed on: compared last in a later investigation. */
  readonly agreed: Set<number>;
}

export class ServedLog {
  /** The engine can read back what it wrote: note ranges only, hash nothing as it passes. */
  readBack = false;
  readonly #byDigest = new Map<string, Served[]>();
  /** Blobs some of whose ranges were forgotten to be fetched again: a write there may overlap an older writer's range. */
  readonly #mended = new Set<string>();

  /** Bytes [start, start + bytes.length) of `digest` came from `meter`; a promise only while hashing. */
  record(digest: string, meter: SourceMeter, start: number, bytes: Uint8Array, createHasher: BlobHasherFactory): Promise<void> | undefined {
    let list = this.#byDigest.get(digest);
    if (list === undefined) this.#byDigest.set(digest, (list = []));
    const end = start + bytes.length;
    // The file's bytes there are these now: whoever the log said wrote them before (a
    // chunk fetched again after a blame, all of it, where only the piece the liar was
    // caught on was cut) is forgotten there, or a later investigation reads these bytes
    // back as theirs and blames them for what another source sent. Looked for only in a
    // blob being mended: a first fetch overlaps nothing, and this runs for every piece.
    if (this.readBack && this.#mended.has(digest) && list.some((s) => s.start < end && start < s.end)) {
      this.cut(digest, start, end);
      list = this.of(digest) as Served[];
    }
    // A hashed range is compared whole, so it stops growing at a piece's size.
    let served = list.findLast((s) => s.meter === meter && s.end === start && (s.hash === undefined || s.end - s.start < PIECE));
    if (served === undefined) {
      served = { meter, start, end: start, agreed: new Set() };
      if (!this.readBack) served.hash = { hasher: newHasher(createHasher), hashing: Promise.resolve() };
      list.push(served);
    }
    // Extended before anything is awaited, so the next piece finds this range.
    served.end = end;
    const { hash } = served;
    if (hash === undefined) return undefined;
    hash.hashing = hash.hashing.then(async () => (await hash.hasher).update(bytes));
    return hash.hashing.then(() => {});
  }

  /** Who served what of `digest` now (the bytes in the file, when it reads back). */
  of(digest: string): readonly Served[] {
    return this.#byDigest.get(digest) ?? [];
  }

  /** Forgets what `meters` served of `digest` (to be fetched again); everything without `meters`. */
  forget(digest: string, meters?: ReadonlySet<SourceMeter>): void {
    if (meters === undefined) {
      this.#byDigest.delete(digest);
      this.#mended.delete(digest);
      return;
    }
    this.#byDigest.set(digest, this.of(digest).filter((s) => !meters.has(s.meter)));
    this.#mended.add(digest);
  }

  /** Forgets who served bytes [start, end) of `digest` (to be fetched again); read-back ranges only. */
  cut(digest: string, start: number, end: number): void {
    this.#mended.add(digest);
    this.#byDigest.set(digest, this.of(digest).flatMap((s) => (s.end <= start || end <= s.start ? [s] : [
      ...(s.start < start ? [{ meter: s.meter, start: s.start, end: start, agreed: new Set<number>() }] : []),
      ...(end < s.end ? [{ meter: s.meter, start: end, end: s.end, agreed: new Set<number>() }] : []),
    ])));
  }
}

export interface BlameHost {
  /** Sources that could serve the blob, other than those in `exclude`, best first. */
  others(exclude: ReadonlySet<SourceMeter>): SourceMeter[];
  blame(meter: SourceMeter, start: number, end: number, reason: string): void;
  /** Two sources sent different bytes for [start, end) and which one lied cannot be told. */
  disagree(meters: [SourceMeter, SourceMeter], start: number, end: number, reason: string): void;
}

export interface Investigation {
  createHasher: BlobHasherFactory;
  signal: AbortSignal;
  /** The blob's bytes as written, when the sink reads back. */
  read?: (start: number, length: number) => Promise<Uint8Array>;
}


/** A piece of a served range, and how to get the hash of the bytes it holds. */
export interface Piece {
  range: Served;
  start: number;
  end: number;
  mine: () => Promise<string | undefined>;
}

/** The source caught lying, the piece it was caught on, and whether its bytes of it are the ones written. */
export interface Caught {
  liar: SourceMeter;
  start: number;
  end: number;
  written: boolean;
  /** Proven by the digest with everything it served replaced: all of that is to be fetched again. */
  all?: boolean;
}

/**
 * Compares served pieces with another source's, a few at a time, taking each source's
 * in turn (a liar is met in the first round) and those already agreed on last; stops at
 * the first liar, which it answers, or at the first difference with no third source to
 * ask, which the digest is asked to settle (source-dispute.ts).
 */
export async function investigate(digest: string, served: readonly Served[], host: BlameHost, o: Investigation): Promise<Caught | undefined> {
  const pieces = served.flatMap((range) => piecesOf(range, o));
  const queue = [...roundRobin(pieces.filter((p) => !p.range.agreed.has(p.start))), ...roundRobin(pieces.filter((p) => p.range.agreed.has(p.start)))];
  let liar: Caught | undefined;
  let dispute: Dispute | undefined;
  const check = async (piece: Piece) => {
    const writer = piece.range.meter;
    const [second, ...rest] = host.others(new Set([writer]));
    if (second === undefined) return;
    const [mine, theirs] = await Promise.all([piece.mine(), rangeHash(second, digest, piece.start, piece.end, o)]);
    if (mine === undefined || theirs === undefined || liar !== undefined || dispute !== undefined) return;
    if (theirs === mine) {
      piece.range.agreed.add(piece.start);
      return;
    }
    // The writer and `second` differ: the others are asked one by one until two agree.
    // Two liars may be asked before an honest source is (or be the writer and one asked):
    // only two matching answers say which bytes are right.
    const dissent: { meter: SourceMeter; hash: string }[] = [{ meter: second, hash: theirs }];
    for (const next of rest) {
      const hash = await rangeHash(next, digest, piece.start, piece.end, o);
      if (liar !== undefined || dispute !== undefined || o.signal.aborted) return;
      if (hash === undefined) continue;
      if (hash === mine) {
        // The writer's bytes are right: the first to differ lied (in its answer now).
        liar = { liar: second, start: piece.start, end: piece.end, written: false };
        host.blame(second, piece.start, piece.end, `${writer.name} and ${next.name} agree on those bytes and it does not`);
        return;
      }
      const twin = dissent.find((d) => d.hash === hash);
      if (twin !== undefined) {
        liar = { liar: writer, start: piece.start, end: piece.end, written: true };
        host.blame(writer, piece.start, piece.end, `${twin.meter.name} and ${next.name} agree on those bytes and it does not`);
        return;
      }
      dissent.push({ meter: next, hash });
    }
    if (dissent.length === 1) {
      // One answer against the writer's: it alone does not say who lied; the digest does.
      dispute = { piece, other: second };
      return;
    }
    // No two of three or more agree: at most one of them is right; the writer's bytes are in the failed layer.
    liar = { liar: writer, start: piece.start, end: piece.end, written: true };
    host.blame(writer, piece.start, piece.end, `${dissent.map((d) => d.meter.name).join(", ")} each sent different bytes there, none agreeing with it, and the layer failed its digest`);
  };
  const worker = async () => {
    for (let piece = queue.shift(); piece !== undefined && liar === undefined && dispute === undefined && !o.signal.aborted; piece = queue.shift()) await check(piece);
  };
  await Promise.all(Array.from({ length: COMPARISONS }, worker));
  return liar ?? (dispute === undefined || o.signal.aborted ? undefined : settle(digest, pieces, served, dispute, host, o));
}

/** A hashed range is one piece; one read back is cut in pieces of PIECE. */
function piecesOf(range: Served, o: Investigation): Piece[] {
  const { hash } = range;
  if (hash !== undefined) {
    const mine = () => (hash.hex ??= hash.hashing.then(async () => (await hash.hasher).digest("hex")));
    return range.end > range.start ? [{ range, start: range.start, end: range.end, mine }] : [];
  }
  const { read } = o;
  if (read === undefined) return [];
  const out: Piece[] = [];
  for (let start = range.start; start < range.end; start += PIECE) {
    const end = Math.min(range.end, start + PIECE);
    out.push({ range, start, end, mine: () => readHash(read, start, end, o.createHasher) });
  }
  return out;
}

/** One piece of each source in turn. */
function roundRobin(pieces: readonly Piece[]): Piece[] {
  const bySource = new Map<SourceMeter, Piece[]>();
  for (const piece of pieces) bySource.set(piece.range.meter, [...(bySource.get(piece.range.meter) ?? []), piece]);
  const out: Piece[] = [];
  for (let i = 0; out.length < pieces.length; i++) for (const list of bySource.values()) if (i < list.length) out.push(list[i]);
  return out;
}
