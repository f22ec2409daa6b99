// After a blob fails its digest (blob-job.ts): what of it to fetch again. Nothing of it
// can be trusted, so all of it, once; then the download fails naming it. But when a
// source over several named a liar (multi-source.ts) and the sink reads back, only the
// chunks that liar served are fetched again (from the others) and the rest is kept, to
// be hashed again from the file: each such mending drops a source, so few can happen.

import { DockerdlError } from "../errors.ts";
import type { TarBlobSegment } from "../tar.ts";
import type { Chunk } from "./chunks.ts";
import type { CorruptVerdict } from "./types.ts";

const ATTEMPTS = 2;
const MENDINGS = 8;

export class BlobRetries {
  #attempt = 1;
  #mendings = 0;

  /** May the next mismatch keep what a liar did not serve? */
  mayMend(readBack: boolean): boolean {
    return readBack && this.#mendings < MENDINGS;
  }

  /**
   * The blob's chunks after a mismatch, as fresh objects (the fetcher that delivered the
   * last byte is still finishing with the old ones and must not see them reopen under
   * it): those to fetch again at 0 bytes, those kept whole. Throws when no try is left.
   */
  chunksAfter(segment: TarBlobSegment, actual: string, chunks: readonly Chunk[], verdict: CorruptVerdict | undefined, mend: boolean): Chunk[] {
    const wrong = mend && verdict !== undefined && verdict.wrong.length > 0 ? verdict.wrong : undefined;
    if (wrong === undefined && this.#attempt >= ATTEMPTS) {
      throw new DockerdlError("DIGEST_MISMATCH", `layer ${segment.key} is corrupt: the ${segment.size} bytes received hash to ${actual} (tried ${this.#attempt} times)`, {
        hint: "the registry or a proxy in between keeps sending wrong data for this layer; try again later or without --proxy",
      });
    }
    if (wrong === undefined) this.#attempt++;
    else this.#mendings++;
    const bad = (c: Chunk) => wrong === undefined || wrong.some((r) => r.start < c.end && c.start < r.end);
    return chunks.map((c) => ({ ...c, received: bad(c) ? 0 : c.received }));
  }
}
