// What every API handler is given: the Worker's config (with the seed API's cache
// lifetimes), the R2 cache (if bound) and the clock. "now" is a function so freshness is decided in one
// place, and unit tests can hand in their own clock.
import type { Config } from "../config.ts";
import type { CacheBucket } from "./cache.ts";

export interface ApiContext {
  config: Config;
  cache: CacheBucket | undefined;
  /**
   * Public blobs from the mirror's cache, when bound (index.ts wires cache/public-blob.ts):
   * /api/download pours layers from it, and asks it ahead (one lookup, nothing read)
   * which layers it holds when that decides whether the download fits the plan.
   */
  publicBlob?: (digest: string, size: number) => Promise<((out: WritableStream) => Promise<void>) | null>;
  now: () => number;
}
