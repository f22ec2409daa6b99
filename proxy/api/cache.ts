// Cached Hub answers, in R2 (the CACHE binding) rather than the Cache API: the Cache
// API does nothing on workers.dev hosts, where most people deploy this Worker, while R2
// behaves the same there, on custom domains and under `wrangler dev`. Each entry stores
// the time it was fetched, and freshness is decided here against `now()`, not by R2 or
// HTTP headers, so lifetimes are exact and tests can reason about them. Without the
// binding everything still works, uncached. When Hub fails, an expired entry is served
// (marked STALE) rather than an error.
import { sha256Digest } from "../../shared/digest.ts";
import { ApiError } from "./errors.ts";

/** The part of R2Bucket used here, so unit tests can pass an in-memory one. */
export interface CacheBucket {
  get(key: string): Promise<{ text(): Promise<string>; customMetadata?: Record<string, string> } | null>;
  put(key: string, value: string, options: { httpMetadata?: { contentType?: string }; customMetadata: Record<string, string> }): Promise<unknown>;
}

export type CacheState = "HIT" | "MISS" | "STALE" | "BYPASS";

export interface Cached<T> {
  value: T;
  fetchedAt: number;
  state: CacheState;
}

/** Keys live under their own prefix so they never meet the mirror's blobs and manifests. */
const CACHE_PREFIX = "hub-api/v1/";

export async function cacheKey(kind: string, input: unknown): Promise<string> {
  const digest = await sha256Digest(new TextEncoder().encode(JSON.stringify(input)));
  return `${CACHE_PREFIX}${kind}/${digest.slice("sha256:".length)}`;
}

export interface CacheOptions {
  bucket: CacheBucket | undefined;
  key: string;
  ttlMs: number;
  now: () => number;
}

export async function cachedJson<T>(options: CacheOptions, produce: () => Promise<T>): Promise<Cached<T>> {
  const { bucket, key, ttlMs, now } = options;
  const usable = bucket !== undefined && ttlMs > 0;
  const entry = usable ? await read<T>(bucket, key) : null;
  const at = now();
  if (entry && entry.fetchedAt <= at && at - entry.fetchedAt < ttlMs) {
    return { value: entry.value, fetchedAt: entry.fetchedAt, state: "HIT" };
  }
  let value: T;
  try {
    value = await produce();
  } catch (error) {
    if (entry && isUpstreamTrouble(error)) return { value: entry.value, fetchedAt: entry.fetchedAt, state: "STALE" };
    throw error;
  }
  const fetchedAt = now();
  if (usable) {
    try {
      await bucket.put(key, JSON.stringify(value), {
        httpMetadata: { contentType: "application/json" },
        customMetadata: { fetchedAt: String(fetchedAt) },
      });
    } catch {
      // A cache that cannot be written only costs the next request a Hub round trip.
    }
  }
  return { value, fetchedAt, state: usable ? "MISS" : "BYPASS" };
}

async function read<T>(bucket: CacheBucket, key: string): Promise<{ value: T; fetchedAt: number } | null> {
  try {
    const object = await bucket.get(key);
    if (!object) return null;
    const fetchedAt = Number(object.customMetadata?.fetchedAt);
    if (!Number.isFinite(fetchedAt)) return null;
    return { value: JSON.parse(await object.text()) as T, fetchedAt };
  } catch {
    return null; // unreadable entries are refetched, never fatal
  }
}

function isUpstreamTrouble(error: unknown): boolean {
  return error instanceof ApiError && (error.status >= 500 || error.status === 429);
}

/** Headers that tell clients (and tests) where an answer came from and how old it is. */
export function cacheHeaders(cached: Cached<unknown>, ttlMs: number, now: number): Record<string, string> {
  const ageSeconds = Math.max(0, Math.floor((now - cached.fetchedAt) / 1000));
  const remaining = Math.max(0, Math.floor((cached.fetchedAt + ttlMs - now) / 1000));
  return {
    "x-cache": cached.state,
    age: String(ageSeconds),
    "cache-control": cached.state === "STALE" ? "no-cache" : `public, max-age=${remaining}`,
  };
}
