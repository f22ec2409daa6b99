// The per-client limiter: a sliding minute, per IP (an IPv6 /64 counts as one client),
// blob requests counted against a limit of their own, 0 turning a limit off.
import { describe, expect, it } from "vitest";
import { checkRateLimit, clientKey, limitOf, RateLimiter } from "../../proxy/rate-limit.ts";

const request = (path: string, ip?: string, method = "GET") =>
  new Request(`https://mirror.example${path}`, { method, headers: ip ? { "cf-connecting-ip": ip } : {} });

describe("RateLimiter", () => {
  it("allows the limit within a minute, then refuses with the seconds to wait", () => {
    const limiter = new RateLimiter();
    const t0 = 1_800_000_000_000; // on a minute boundary
    for (let i = 0; i < 5; i++) expect(limiter.take("a", 5, t0 + i).allowed).toBe(true);
    const refused = limiter.take("a", 5, t0 + 15_000);
    expect(refused).toEqual({ allowed: false, retryAfter: 45 });
    expect(limiter.take("b", 5, t0 + 15_000).allowed).toBe(true);
  });

  it("slides: the previous minute still counts in proportion, so no 2x burst at a boundary", () => {
    const t0 = 1_800_000_000_000;
    const burst = (at: number) => {
      const limiter = new RateLimiter();
      for (let i = 0; i < 10; i++) limiter.take("a", 10, t0 + 59_000);
      let allowed = 0;
      for (let i = 0; i < 10; i++) if (limiter.take("a", 10, at).allowed) allowed++;
      return allowed;
    };
    expect(burst(t0 + 61_000)).toBe(1); // ~98% of the previous minute still counts
    expect(burst(t0 + 90_000)).toBe(5); // half of it
    expect(burst(t0 + 180_000)).toBe(10); // two minutes on, nothing
  });

  it("keeps a blocked client blocked when 11,000 other clients arrive, and stays bounded", () => {
    const limiter = new RateLimiter();
    const t0 = 1_800_000_000_000;
    for (let i = 0; i < 5; i++) limiter.take("blocked", 5, t0);
    expect(limiter.take("blocked", 5, t0).allowed).toBe(false);
    for (let i = 0; i < 11_000; i++) limiter.take(`2001:db8:${i.toString(16)}::/64`, 5, t0 + 1);
    expect(limiter.take("blocked", 5, t0 + 2).allowed).toBe(false);
    expect(limiter.size).toBeLessThanOrEqual(10_000);
  });

  it("makes room oldest first: the newest clients keep their counts", () => {
    const limiter = new RateLimiter();
    const t0 = 1_800_000_000_000;
    for (let i = 0; i < 10_000; i++) limiter.take(`c${i}`, 2, t0);
    limiter.take("c9999", 2, t0);
    limiter.take("new", 2, t0);
    expect(limiter.take("c9999", 2, t0).allowed).toBe(false);
    expect(limiter.take("c0", 2, t0).allowed).toBe(true);
    expect(limiter.take("c0", 2, t0).allowed).toBe(true);
  });

  it("is off with a limit of 0", () => {
    const limiter = new RateLimiter();
    for (let i = 0; i < 1000; i++) expect(limiter.take("a", 0).allowed).toBe(true);
  });
});

describe("clientKey and limitOf", () => {
  it("keys IPv4 by address and IPv6 by /64", () => {
    expect(clientKey(request("/v2/", "203.0.113.9"))).toBe("203.0.113.9");
    expect(clientKey(request("/v2/", "2001:db8:1:2:aaaa::1"))).toBe(clientKey(request("/v2/", "2001:0db8:0001:0002:ffff:1:2:3")));
    expect(clientKey(request("/v2/", "2001:db8:1:2::1"))).not.toBe(clientKey(request("/v2/", "2001:db8:1:3::1")));
    expect(clientKey(request("/v2/"))).toBe("unknown");
  });

  it("counts manifests, tags, tokens and the API as requests, blobs apart, never preflights", () => {
    expect(limitOf(request("/v2/library/ubuntu/manifests/22.04"))).toBe("requests");
    expect(limitOf(request("/v2/o/a/tags/list"))).toBe("requests");
    expect(limitOf(request("/token?scope=x"))).toBe("requests");
    expect(limitOf(request("/api/search"))).toBe("requests");
    expect(limitOf(request(`/v2/ghcr.io/o/a/blobs/sha256:${"a".repeat(64)}`))).toBe("blobs");
    expect(limitOf(request(`/v2/library/ubuntu/blobs/sha256:${"a".repeat(64)}`, undefined, "HEAD"))).toBe("blobs");
    expect(limitOf(request("/v2/x/manifests/1", undefined, "OPTIONS"))).toBeNull();
  });
});

describe("checkRateLimit", () => {
  it("holds blob requests to their own limit, apart from the other requests' count", async () => {
    const limits = { perMinute: 2, blobsPerMinute: 3 };
    const blob = () => request(`/v2/o/a/blobs/sha256:${"b".repeat(64)}`, "198.51.100.7");
    const manifest = () => request("/v2/o/a/manifests/1", "198.51.100.7");
    const blobs = [];
    for (let i = 0; i < 4; i++) blobs.push((await checkRateLimit(blob(), limits)).allowed);
    expect(blobs).toEqual([true, true, true, false]);
    expect((await checkRateLimit(manifest(), limits)).allowed).toBe(true);
    expect((await checkRateLimit(manifest(), limits)).allowed).toBe(true);
    expect((await checkRateLimit(manifest(), limits)).allowed).toBe(false);
  });

  it("never asks the Rate Limiting binding about blobs", async () => {
    const asked: string[] = [];
    const binding = { limit: async ({ key }: { key: string }) => (asked.push(key), { success: false }) };
    const limits = { perMinute: 100, blobsPerMinute: 100 };
    expect((await checkRateLimit(request(`/v2/o/a/blobs/sha256:${"c".repeat(64)}`, "198.51.100.8"), limits, binding)).allowed).toBe(true);
    expect(asked).toEqual([]);
    expect((await checkRateLimit(request("/v2/o/a/manifests/1", "198.51.100.8"), limits, binding)).allowed).toBe(false);
  });
});
