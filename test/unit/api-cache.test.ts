// The seed API's cache with a controlled clock: exact lifetimes, STALE answers when the
// source fails, and a cache that cannot be read or written never breaking an answer.
import { describe, expect, it } from "vitest";
import { cacheHeaders, cacheKey, cachedJson, type CacheBucket } from "../../proxy/api/cache.ts";
import { ApiError } from "../../proxy/api/errors.ts";

function memoryBucket(): CacheBucket & { objects: Map<string, { body: string; meta: Record<string, string> }> } {
  const objects = new Map<string, { body: string; meta: Record<string, string> }>();
  return {
    objects,
    async get(key) {
      const o = objects.get(key);
      return o ? { text: async () => o.body, customMetadata: o.meta } : null;
    },
    async put(key, value, options) {
      objects.set(key, { body: value, meta: options.customMetadata });
    },
  };
}

/** Cache options under which "old" was stored at time 0 with a lifetime of 10 ms, and it is now 100: expired. */
async function expiredEntry() {
  const clock = { now: 0 };
  const options = { bucket: memoryBucket(), key: "k", ttlMs: 10, now: () => clock.now };
  await cachedJson(options, async () => "old");
  clock.now = 100;
  return options;
}

function counter<T>(value: () => T) {
  let calls = 0;
  return { produce: async () => { calls++; return value(); }, calls: () => calls };
}

describe("cachedJson", () => {
  it("misses, hits until exactly the lifetime, then misses again", async () => {
    const bucket = memoryBucket();
    let now = 1_000_000;
    const options = { bucket, key: "k", ttlMs: 300_000, now: () => now };
    const source = counter(() => ({ n: 1 }));
    expect((await cachedJson(options, source.produce)).state).toBe("MISS");
    now += 299_999;
    const hit = await cachedJson(options, source.produce);
    expect(hit).toEqual({ value: { n: 1 }, fetchedAt: 1_000_000, state: "HIT" });
    now += 1;
    expect((await cachedJson(options, source.produce)).state).toBe("MISS");
    expect(source.calls()).toBe(2);
  });

  it("does not trust an entry from the future (a clock that went back)", async () => {
    const bucket = memoryBucket();
    let now = 5_000;
    const source = counter(() => "v");
    await cachedJson({ bucket, key: "k", ttlMs: 1000, now: () => now }, source.produce);
    now = 4_000;
    expect((await cachedJson({ bucket, key: "k", ttlMs: 1000, now: () => now }, source.produce)).state).toBe("MISS");
  });

  it("serves an expired entry as STALE when the source fails upstream, and throws without one", async () => {
    const options = await expiredEntry();
    const down = async (): Promise<string> => { throw new ApiError(502, "UPSTREAM", "Hub is down", { key: "UPSTREAM.hub_broke", params: { path: "/" } }); };
    expect(await cachedJson(options, down)).toEqual({ value: "old", fetchedAt: 0, state: "STALE" });
    await expect(cachedJson({ ...options, key: "other" }, down)).rejects.toThrow("Hub is down");
  });

  it("does not hide a 404 behind a stale entry", async () => {
    const options = await expiredEntry();
    await expect(cachedJson(options, async () => { throw new ApiError(404, "NOT_FOUND", "gone", { key: "NOT_FOUND.hub_repository", params: { image: "x" } }); })).rejects.toThrow("gone");
  });

  it("bypasses the cache without a bucket or with a lifetime of 0", async () => {
    const source = counter(() => 1);
    expect((await cachedJson({ bucket: undefined, key: "k", ttlMs: 1000, now: () => 0 }, source.produce)).state).toBe("BYPASS");
    const bucket = memoryBucket();
    await cachedJson({ bucket, key: "k", ttlMs: 0, now: () => 0 }, source.produce);
    expect(bucket.objects.size).toBe(0);
  });

  it("answers even when the bucket fails to read or write", async () => {
    const broken: CacheBucket = {
      get: async () => { throw new Error("R2 down"); },
      put: async () => { throw new Error("R2 down"); },
    };
    expect(await cachedJson({ bucket: broken, key: "k", ttlMs: 1000, now: () => 0 }, async () => 7)).toMatchObject({ value: 7, state: "MISS" });
  });
});

describe("cacheKey and cacheHeaders", () => {
  it("keys by kind and input, under the API's own prefix", async () => {
    const a = await cacheKey("search", { q: "nginx", limit: 25, page: 1 });
    expect(a).toMatch(/^hub-api\/v1\/search\/[0-9a-f]{64}$/);
    expect(await cacheKey("search", { q: "nginx", limit: 25, page: 1 })).toBe(a);
    expect(await cacheKey("search", { q: "nginx", limit: 25, page: 2 })).not.toBe(a);
  });

  it("reports state, age and the remaining lifetime", () => {
    expect(cacheHeaders({ value: 1, fetchedAt: 0, state: "HIT" }, 300_000, 60_500)).toEqual({ "x-cache": "HIT", age: "60", "cache-control": "public, max-age=239" });
    expect(cacheHeaders({ value: 1, fetchedAt: 0, state: "STALE" }, 1000, 5000)["cache-control"]).toBe("no-cache");
  });
});
