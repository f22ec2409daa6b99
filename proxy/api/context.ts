// What every API handler is given: the Worker's config (with the seed API's cache
// lifetimes), the R2 cache (if bound) and the clock. "now" is a function so freshness is decided in one
// place, and unit tests can hand in their own clock.
import type { BlobStore } from "../cache/store.ts";
import type { Config } from "../config.ts";
import type { CacheBucket } from "./cache.ts";

export interface ApiContext {
  config: Config;
  cache: CacheBucket | undefined;
  /** The mirror's blob cache (the same bucket), when bound: /api/download reads public blobs from it. */
  blobs?: BlobStore;
  now: () => number;
}
