// R2's rules for writes, as Cloudflare documents them (https://developers.cloudflare.com/r2/platform/limits/):
// one `put` holds at most 5 GiB − 5 MiB; a multipart upload has at most 10,000 parts,
// each 5 MiB to 5 GiB and all of one size but the last; one key takes about one write a
// second. `wrangler dev`'s local R2 checks none of these, so the code plans by them here
// and the proxy tests' store (test/proxy/runtime/) refuses what R2 would refuse.

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** The largest object one `put` may write: 5 GiB − 5 MiB (not 5 GiB). */
export const R2_MAX_SINGLE_PUT = 5 * GIB - 5 * MIB;
/** The smallest part of a multipart upload, the last one excepted. */
export const R2_MIN_PART = 5 * MIB;
/** The largest part of a multipart upload. */
export const R2_MAX_PART = 5 * GIB;
/** Parts one multipart upload may have. */
export const R2_MAX_PARTS = 10_000;

/**
 * Bytes per part of a multipart fill unless the config says otherwise (FILL_PART_SIZE):
 * small enough that a part in flight holds little memory and a step cut short loses
 * little work, large enough that a 20 GB blob is 640 parts.
 */
export const DEFAULT_PART_SIZE = 32 * MIB;

/** Bytes per part for a blob of `length`: `target`, or larger when the blob needs it to stay within R2_MAX_PARTS. */
export function partSizeFor(length: number, target = DEFAULT_PART_SIZE): number {
  const spread = Math.ceil(length / R2_MAX_PARTS / MIB) * MIB;
  const size = Math.max(R2_MIN_PART, target, spread);
  if (size > R2_MAX_PART) throw new Error(`a blob of ${length} bytes needs parts larger than R2's 5 GiB`);
  return size;
}
