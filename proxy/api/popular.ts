// GET /api/popular?limit=: Docker Official Images, most pulled first, for the front page;
// cached for POPULAR_TTL (1 hour). Hub has no "popular overall" endpoint that works
// without a query, and the official images are what most people come for.
import { cacheHeaders, cacheKey, cachedJson } from "./cache.ts";
import type { ApiContext } from "./context.ts";
import { jsonResponse } from "./errors.ts";
import { hubGet, type HubNamespaceRepositoryPage } from "./hub.ts";
import { optionalInt, readParams } from "./input.ts";
import type { PopularAnswer } from "../../shared/seed-api.ts";

export async function handlePopular(request: Request, ctx: ApiContext): Promise<Response> {
  const params = await readParams(request, { limit: ["limit"] });
  const limit = optionalInt(params, "limit", 24, 1, 100);
  const key = await cacheKey("popular", { limit });
  const cached = await cachedJson({ bucket: ctx.cache, key, ttlMs: ctx.config.popularTtlMs, now: ctx.now }, async (): Promise<PopularAnswer> => {
    const page = await hubGet<HubNamespaceRepositoryPage>(ctx.config, "/v2/namespaces/library/repositories", {
      page_size: limit,
      ordering: "-pull_count",
    }, { message: "Docker Hub has no library namespace", key: "NOT_FOUND.hub_library", params: {} });
    const repositories = (page.results ?? [])
      .filter((r) => r.is_private !== true)
      .map((r) => ({
        name: r.name,
        repository: `library/${r.name}`,
        namespace: "library",
        description: r.description ?? "",
        stars: r.star_count ?? 0,
        pulls: r.pull_count ?? 0,
        official: true,
        verified: false,
        automated: false,
        lastUpdated: r.last_updated ?? null,
      }))
      // Hub sorts already; sorting again keeps the promise if it ever ignores `ordering`.
      .sort((a, b) => b.pulls - a.pulls);
    return { repositories, fetchedAt: new Date(ctx.now()).toISOString() };
  });
  return jsonResponse(cached.value, 200, cacheHeaders(cached, ctx.config.popularTtlMs, ctx.now()));
}
