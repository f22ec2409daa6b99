// What a registry handler needs besides the request: the configuration, the R2 cache
// (absent when the operator bound none: the mirror then only proxies) and a way to keep
// work alive after the response is returned (filling the cache).
import type { BlobStore } from "../cache/store.ts";
import type { Config } from "../config.ts";

export interface Mirror {
  config: Config;
  cache?: BlobStore;
  waitUntil(promise: Promise<unknown>): void;
}
