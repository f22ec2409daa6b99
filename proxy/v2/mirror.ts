// What a registry handler needs besides the request: the configuration and the clock
// (ProxyContext, which it hands down to what it calls), the R2 cache
// (absent when the operator bound none: the mirror then only proxies) and a way to keep
// work alive after the response is returned (no longer than 30 s past it on the platform),
// the blobs' fills that outlive requests, and the rate limit a
// background fill's start is counted against, and who the requester is for the bound on
// background fills per client.
import type { BlobStore } from "../cache/store.ts";
import type { ProxyContext } from "../config.ts";
import type { Fills } from "../fill/order.ts";

/** The config and the clock (ProxyContext), and the rest. */
export interface Mirror extends ProxyContext {
  cache?: BlobStore;
  waitUntil(promise: Promise<unknown>): void;
  /** The blobs' fills (a Durable Object per blob, fill/blob-fill.ts); absent when FILLS is not bound: ranged reads then only pass through. */
  fills?: Fills;
  /** The requester as the rate limiter counts it (an address, an IPv6 /64); asked only when a fill may start. */
  client(): string;
  /**
   * Counts the start of a background fill against the requester's rate limit (blob reads
   * are not counted, but a one-byte range must not start a whole download for free);
   * false when the requester is over it. Absent: every fill may start.
   */
  countFillStart?(): Promise<boolean>;
}
