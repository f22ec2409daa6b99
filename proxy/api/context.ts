// What every API handler is given: the Worker's config, the seed API's settings, the R2
// cache (if bound) and the clock. "now" is a function so freshness is decided in one
// place, and unit tests can hand in their own clock.
import type { Config } from "../config.ts";
import type { CacheBucket } from "./cache.ts";
import type { ApiSettings } from "./settings.ts";

export interface ApiContext {
  config: Config;
  settings: ApiSettings;
  cache: CacheBucket | undefined;
  now: () => number;
}
