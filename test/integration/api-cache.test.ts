// Cache lifetimes through the real Worker and its local R2: a second Worker started
// with lifetimes of 2 seconds shows answers expiring (the next request reaches Hub
// again), and expired answers being served, marked STALE, while Hub is down. Hits
// within the default lifetimes are covered by the other api-*.test.ts suites; exact
// boundaries with a controlled clock by test/unit/api-cache.test.ts.
import { join } from "node:path";
import { afterEach, describe, expect, } from "vitest";
import type { ApiErrorBody } from "../../shared/seed-api.ts";
import { test as base, withOwnWorker } from "../harness/fixtures-vitest.ts";
import { harness } from "../harness/injected.ts";
import type { RunningWorker } from "../harness/wrangler.ts";
import { expectApiError, getJson, hubRequests } from "./api-helpers.ts";

const hub = harness.hubApi;
const TTL_SECONDS = 2;
/** Long enough for an answer to outlive its lifetime, with room for a loaded machine. */
const expiry = { timeout: TTL_SECONDS * 1000 + 10_000, interval: 200 };

const test = base.extend<{ $file: { worker: RunningWorker } }>({
  /** A Worker whose answers live TTL_SECONDS, in front of the harness's fake Hub. */
  worker: [
    async ({}, use) => {
      const lifetimes = { SEARCH_TTL: String(TTL_SECONDS), POPULAR_TTL: String(TTL_SECONDS), DETAILS_TTL: String(TTL_SECONDS) };
      const options = { upstreams: harness.upstreams, hubApi: hub, vars: lifetimes, persistDir: join(harness.workDir, "wrangler-short-ttl"), logDir: harness.workDir, name: "wrangler-short-ttl" };
      await withOwnWorker(options, use);
    },
    { scope: "file" },
  ],
});

afterEach(async () => {
  await fetch(`${hub}/__fake/outage`, { method: "DELETE" });
});

describe("cache lifetimes (SEARCH_TTL, POPULAR_TTL, DETAILS_TTL)", () => {
  test.for([
    ["search", "/api/search?q=ubuntu&limit=3", "/v2/search/repositories/"],
    ["popular", "/api/popular?limit=2", "/v2/namespaces/library/repositories"],
    ["details", "/api/image-details?image=nginx:1.27", "/v2/repositories/library/nginx/"],
  ])("%s: a hit within the lifetime, a miss after it", async ([, path, hubPath], { worker }) => {
    const count = async () => (await hubRequests(hub, hubPath)).length;
    const start = await count();
    const asked = Date.now();
    const first = await getJson(`${worker.url}${path}`);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-cache")).toBe("MISS");
    const second = await getJson(`${worker.url}${path}`);
    expect(second.headers.get("x-cache")).toBe("HIT");
    expect(await count()).toBe(start + 1);
    // Asked again until the answer expires: hits until then (the count below shows none reached Hub).
    let third = second;
    await expect.poll(async () => (third = await getJson(`${worker.url}${path}`)).headers.get("x-cache"), expiry).toBe("MISS");
    expect(Date.now() - asked).toBeGreaterThanOrEqual(TTL_SECONDS * 1000);
    // Same answer, fetched anew.
    expect({ ...(third.body as object), fetchedAt: null }).toEqual({ ...(first.body as object), fetchedAt: null });
    expect((third.body as { fetchedAt: string }).fetchedAt).not.toBe((first.body as { fetchedAt: string }).fetchedAt);
    expect(await count()).toBe(start + 2);
  });

  test("serves an expired answer, marked STALE, while Hub is down; without one it says so", async ({ worker }) => {
    const fresh = await getJson(`${worker.url}/api/search?q=hello&limit=4`);
    expect(fresh.status).toBe(200);
    await fetch(`${hub}/__fake/outage?status=503`, { method: "POST" });
    // Hits until the answer expires; after that, with Hub down, only the stale copy is left.
    let stale = fresh;
    await expect.poll(async () => (stale = await getJson(`${worker.url}/api/search?q=hello&limit=4`)).headers.get("x-cache"), expiry).toBe("STALE");
    expect(stale.status).toBe(200);
    expect(stale.body).toEqual(fresh.body);
    await expectApiError(getJson(`${worker.url}/api/search?q=never-asked-before`), 502, "UPSTREAM", "Docker Hub");
  });

  test("passes Hub's rate limit on as 429 with Retry-After", async ({ worker }) => {
    await fetch(`${hub}/__fake/outage?status=429`, { method: "POST" });
    const response = await getJson(`${worker.url}/api/image-details?image=someone/nginx-proxy`);
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("60");
    expect((response.body as ApiErrorBody).error.code).toBe("RATE_LIMITED");
  });
});
