// /api/search, /api/popular and docker search's /v1/search through the real Worker
// (wrangler dev) against the fake Hub: result shapes, paging, badges, and that answers
// are cached (repeats within the lifetime never reach Hub).
import { describe, expect, it } from "vitest";
import { harness, worker } from "../harness/injected.ts";
import type { PopularAnswer, SearchAnswer } from "../../shared/seed-api.ts";
import { getJson, hubRequests, postJson } from "./api-helpers.ts";

const hub = harness.hubApi;

describe("/api/search", () => {
  it("finds repositories with name, namespace, description, stars, pulls and badges (POST)", async () => {
    const { status, headers, body } = await postJson<SearchAnswer>(`${worker}/api/search`, { query: "nginx", limit: 10 });
    expect(status).toBe(200);
    expect(headers.get("content-type")).toContain("application/json");
    expect(body.query).toBe("nginx");
    expect(body.total).toBe(3);
    const byRepo = Object.fromEntries(body.results.map((r) => [r.repository, r]));
    expect(byRepo["library/nginx"]).toMatchObject({ name: "nginx", namespace: "library", official: true, verified: false, stars: 21000, pulls: 13_000_000_000 });
    expect(byRepo["library/nginx"].description).toBe("Official build of Nginx.");
    expect(byRepo["bitnami/nginx"]).toMatchObject({ name: "bitnami/nginx", namespace: "bitnami", official: false, verified: true });
    expect(byRepo["someone/nginx-proxy"]).toMatchObject({ official: false, verified: false });
    expect(body.results[0].repository).toBe("library/nginx"); // Hub's ranking is kept
  });

  it("pages with GET ?q=&limit=&page=, saying when there is more", async () => {
    const first = await getJson<SearchAnswer>(`${worker}/api/search?q=webapp&limit=12&page=1`);
    const third = await getJson<SearchAnswer>(`${worker}/api/search?q=webapp&limit=12&page=3`);
    expect(first.status).toBe(200);
    expect(first.body.total).toBe(30);
    expect(first.body.results).toHaveLength(12);
    expect(first.body.hasMore).toBe(true);
    expect(third.body.results).toHaveLength(6);
    expect(third.body.hasMore).toBe(false);
    const names = new Set([...first.body.results, ...third.body.results].map((r) => r.name));
    expect(names.size).toBe(18);
  });

  it("answers a repeated search from the cache within its lifetime, case-insensitively", async () => {
    const before = (await hubRequests(hub, "/v2/search/repositories")).length;
    const miss = await getJson<SearchAnswer>(`${worker}/api/search?q=alpine&limit=5`);
    expect(miss.headers.get("x-cache")).toBe("MISS");
    const hit = await getJson<SearchAnswer>(`${worker}/api/search?q=ALPINE&limit=5`);
    const hitPost = await postJson<SearchAnswer>(`${worker}/api/search`, { query: "alpine", limit: 5 });
    expect(hit.headers.get("x-cache")).toBe("HIT");
    expect(hitPost.headers.get("x-cache")).toBe("HIT");
    expect(hit.body).toEqual(miss.body);
    expect(Number(hit.headers.get("cache-control")?.match(/max-age=(\d+)/)?.[1])).toBeLessThanOrEqual(300);
    const after = (await hubRequests(hub, "/v2/search/repositories")).length;
    expect(after - before).toBe(1);
  });

  it("returns an empty list for a query nothing matches", async () => {
    const { status, body } = await getJson<SearchAnswer>(`${worker}/api/search?q=no-such-thing-anywhere`);
    expect(status).toBe(200);
    expect(body.total).toBe(0);
    expect(body.results).toEqual([]);
  });
});

describe("/api/popular", () => {
  it("lists official images, most pulled first, and caches them", async () => {
    const before = (await hubRequests(hub, "/v2/namespaces/library/repositories")).length;
    const first = await getJson<PopularAnswer>(`${worker}/api/popular?limit=3`);
    expect(first.status).toBe(200);
    expect(first.body.repositories.map((r) => r.name)).toEqual(["nginx", "alpine", "ubuntu"]);
    expect(first.body.repositories.every((r) => r.official && r.repository === `library/${r.name}`)).toBe(true);
    const second = await getJson<{ repositories: unknown[] }>(`${worker}/api/popular?limit=3`);
    expect(second.headers.get("x-cache")).toBe("HIT");
    const after = await hubRequests(hub, "/v2/namespaces/library/repositories");
    expect(after.length - before).toBe(1);
    expect(after.at(-1)?.query).toMatchObject({ page_size: "3", ordering: "-pull_count" });
  });

  it("lists more than a handful of images when no limit is given", async () => {
    const { status, body } = await getJson<{ repositories: unknown[] }>(`${worker}/api/popular`);
    expect(status).toBe(200);
    expect(body.repositories.length).toBeGreaterThan(3);
  });
});

describe("/v1/search (docker search)", () => {
  it("answers in the shape docker search reads", async () => {
    const ping = await fetch(`${worker}/v1/_ping`);
    expect(ping.status).toBe(200);
    const { status, body } = await getJson<Record<string, unknown>>(`${worker}/v1/search?q=nginx&n=25`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ query: "nginx", num_results: 3, page: 1, page_size: 25, num_pages: 1 });
    const results = body.results as Record<string, unknown>[];
    expect(results).toHaveLength(3);
    for (const r of results) {
      expect(Object.keys(r).sort()).toEqual(["description", "is_automated", "is_official", "name", "star_count"]);
    }
    expect(results[0]).toEqual({ name: "nginx", description: "Official build of Nginx.", star_count: 21000, is_official: true, is_automated: false });
  });

  it("returns n results a page, and the pages that makes for all of them", async () => {
    const { body } = await getJson<{ results: unknown[]; num_results: number; num_pages: number }>(`${worker}/v1/search?q=webapp&n=5`);
    expect(body.results).toHaveLength(5);
    expect(body.num_results).toBe(30);
    expect(body.num_pages).toBe(6);
  });
});
