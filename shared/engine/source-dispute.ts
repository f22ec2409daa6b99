// With no third source to ask, a piece whose bytes differ from another source's does not
// say who lied: the liar may be the one asked again, flipping bytes in that answer too
// (issue #29). The layer's digest says it. Some byte written is wrong (the layer failed),
// so if the piece's writer, asked again, agrees with every piece the others wrote, the
// wrong bytes are its own. Otherwise, when the sink reads back, the layer is hashed again
// with all that one source wrote replaced by the other's bytes: a match proves who lied.
// What neither test settles, both are named as disagreeing and neither is blamed.

import { COMPARISONS, fetchInto, newHasher, rangeHash, readInto, type ReadBack } from "./range-hash.ts";
import type { BlameHost, Caught, Investigation, Piece, Served } from "./source-blame.ts";
import type { SourceMeter } from "./source-meter.ts";

/** The first piece found to differ, and the source whose bytes of it differ. */
export interface Dispute {
  piece: Piece;
  other: SourceMeter;
}

export async function settle(digest: string, pieces: readonly Piece[], served: readonly Served[], dispute: Dispute, host: BlameHost, o: Investigation): Promise<Caught | undefined> {
  const { piece, other } = dispute;
  const writer = piece.range.meter;
  const { start, end } = piece;
  const rest = pieces.filter((p) => p.range.meter !== writer && !p.range.agreed.has(p.start));
  if (await everyAgrees(rest, writer, digest, o)) {
    host.blame(writer, start, end, `${other.name} sent different bytes there, and ${writer.name} agrees with everything else in the layer, which failed its digest`);
    return { liar: writer, start, end, written: true };
  }
  const { read } = o;
  if (read !== undefined) {
    for (const [liar, honest] of [[writer, other], [other, writer]]) {
      if (!(await matchesWith(digest, served, liar, honest, read, o))) continue;
      host.blame(liar, start, end, `the layer matches its digest with everything ${liar.name} sent replaced by ${honest.name}'s bytes`);
      return { liar, start, end, written: true, all: true };
    }
  }
  host.disagree([writer, other], start, end, read === undefined
    ? "with only these two to ask, which one is wrong cannot be told when the layer is not written to a file that can be read back (as with -o -)"
    : "the layer does not match its digest with either one's bytes in place of the other's");
  return undefined;
}

/** Does `meter`, asked again, send what was written for every one of `pieces`? */
async function everyAgrees(pieces: readonly Piece[], meter: SourceMeter, digest: string, o: Investigation): Promise<boolean> {
  const queue = [...pieces];
  let agrees = true;
  const worker = async () => {
    for (let piece = queue.shift(); piece !== undefined && agrees && !o.signal.aborted; piece = queue.shift()) {
      const [mine, theirs] = await Promise.all([piece.mine(), rangeHash(meter, digest, piece.start, piece.end, o)]);
      if (mine === undefined || mine !== theirs) agrees = false;
      else piece.range.agreed.add(piece.start);
    }
  };
  await Promise.all(Array.from({ length: COMPARISONS }, worker));
  return agrees && !o.signal.aborted;
}

/** Does the layer match its digest with every range `liar` served replaced by `honest`'s bytes? */
async function matchesWith(digest: string, served: readonly Served[], liar: SourceMeter, honest: SourceMeter, read: ReadBack, o: Investigation): Promise<boolean> {
  const hasher = await newHasher(o.createHasher);
  let at = 0;
  for (const run of runs(served)) {
    if (run.start > at && !(await readInto(hasher, read, at, run.start))) return false;
    const start = Math.max(at, run.start);
    if (start < run.end && !(await (run.meter === liar ? fetchInto(hasher, honest, digest, start, run.end, o.signal) : readInto(hasher, read, start, run.end)))) return false;
    at = Math.max(at, run.end);
    if (o.signal.aborted) return false;
  }
  return `sha256:${await hasher.digest("hex")}` === digest;
}

/** The served ranges in order, those of one source that touch joined (one request each). */
function runs(served: readonly Served[]): { meter: SourceMeter; start: number; end: number }[] {
  const out: { meter: SourceMeter; start: number; end: number }[] = [];
  for (const s of [...served].sort((a, b) => a.start - b.start)) {
    const last = out.at(-1);
    if (last !== undefined && last.meter === s.meter && last.end === s.start) last.end = s.end;
    else out.push({ meter: s.meter, start: s.start, end: s.end });
  }
  return out;
}
