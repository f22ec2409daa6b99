// The words of an upstream's 429 through the mirror (proxy/v2/errors.ts): Docker Hub's say
// when to retry and what lifts the limit (UPSTREAM_AUTH, unless set); other registries'
// stay neutral. The wait comes from Retry-After (seconds or a date), else RateLimit-Reset.
import { describe, expect, it } from "vitest";
import { retryAfterSeconds, upstreamRateLimitMessage } from "../../proxy/v2/errors.ts";

const NOW = Date.parse("2026-12-01T00:00:00Z");

describe("an upstream's 429", () => {
  it.each([
    [{ "retry-after": "120" }, 120],
    [{ "retry-after": "Tue, 01 Dec 2026 00:01:30 GMT" }, 90],
    [{ "ratelimit-reset": "3600" }, 3600],
    [{ "ratelimit-reset": String(NOW / 1000 + 45) }, 45],
    [{ "retry-after": "soon", "ratelimit-reset": "30" }, 30],
    [{ "ratelimit-limit": "100;w=21600", "ratelimit-remaining": "0;w=21600" }, undefined],
  ])("waits for %j: %s s", (headers, seconds) => {
    expect(retryAfterSeconds(new Headers(headers), NOW)).toBe(seconds);
  });

  it("from Docker Hub names the remedy unless the operator set credentials; others' stay neutral", () => {
    expect(upstreamRateLimitMessage("docker.io", 120, false)).toBe("Docker Hub is rate limiting this mirror; retry after 120 s, or set upstream credentials (UPSTREAM_AUTH)");
    expect(upstreamRateLimitMessage("docker.io", undefined, false)).toBe("Docker Hub is rate limiting this mirror; retry later, or set upstream credentials (UPSTREAM_AUTH)");
    expect(upstreamRateLimitMessage("docker.io", 60, true)).toBe("Docker Hub is rate limiting this mirror; retry after 60 s");
    expect(upstreamRateLimitMessage("ghcr.io", 60, false)).toBe("ghcr.io is rate limiting this mirror; retry after 60 s");
    expect(upstreamRateLimitMessage("quay.io", undefined, false)).toBe("quay.io is rate limiting this mirror; retry later");
  });
});
