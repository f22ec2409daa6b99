// POST /api/search {query, limit, page} and GET /api/search?q=&limit=&page=: Docker Hub
// repositories matching a query, cached for SEARCH_TTL (5 minutes). Also the backend of
// /v1/search (docker-search.ts).
import { cacheHeaders, cacheKey, cachedJson, type Cached } from "./cache.ts";
import type { ApiContext } from "./context.ts";
import { jsonResponse } from "./errors.ts";
import { hubGet, type HubCatalogPage, type HubSearchPage } from "./hub.ts";
import { MAX_QUERY_LENGTH, optionalInt, readParams, requireText } from "./input.ts";
import type { SearchAnswer, SearchResult } from "../../shared/seed-api.ts";

const SEARCH_LIMIT_DEFAULT = 25;
export const SEARCH_LIMIT_MAX = 100;
export const SEARCH_PAGE_MAX = 100;

export async function handleSearch(request: Request, ctx: ApiContext): Promise<Response> {
  const params = await readParams(request, { query: ["q", "query"], limit: ["limit", "n"], page: ["page"] });
  const query = requireText(params, "query", "the search query", MAX_QUERY_LENGTH);
  const limit = optionalInt(params, "limit", SEARCH_LIMIT_DEFAULT, 1, SEARCH_LIMIT_MAX);
  const page = optionalInt(params, "page", 1, 1, SEARCH_PAGE_MAX);
  const cached = await searchHub(ctx, query, limit, page);
  return jsonResponse(cached.value, 200, cacheHeaders(cached, ctx.config.searchTtlMs, ctx.now()));
}

export async function searchHub(ctx: ApiContext, query: string, limit: number, page: number): Promise<Cached<SearchAnswer>> {
  // Hub matches case-insensitively, so the cache does too.
  const normalised = query.toLowerCase();
  const key = await cacheKey("search", { q: normalised, limit, page });
  return cachedJson({ bucket: ctx.cache, key, ttlMs: ctx.config.searchTtlMs, now: ctx.now }, async () => {
    const [search, catalog] = await Promise.allSettled([
      hubGet<HubSearchPage>(ctx.config, "/v2/search/repositories/", { query: normalised, page, page_size: limit }, {
        message: `Docker Hub has no results page ${page} for "${query}"`,
        key: "NOT_FOUND.search_page",
        params: { query, page: String(page) },
      }),
      hubGet<HubCatalogPage>(ctx.config, "/api/search/v3/catalog/search", { query: normalised, from: (page - 1) * limit, size: limit }, {
        message: `Docker Hub's catalog has no results for "${query}"`,
        key: "NOT_FOUND.catalog",
        params: { query },
      }),
    ]);
    if (search.status === "rejected") throw search.reason;
    const badges = catalog.status === "fulfilled" ? badgeMap(catalog.value) : null;
    const results = (search.value.results ?? []).map((r) => toResult(r, badges));
    const total = typeof search.value.count === "number" ? search.value.count : results.length;
    return {
      query: normalised,
      page,
      limit,
      total,
      hasMore: Boolean(search.value.next) || page * limit < total,
      results,
      fetchedAt: new Date(ctx.now()).toISOString(),
    };
  });
}

function toResult(r: HubSearchPage["results"][number], badges: Map<string, string> | null): SearchResult {
  const repository = r.repo_name.includes("/") ? r.repo_name : `library/${r.repo_name}`;
  const namespace = repository.split("/")[0];
  const badge = badges?.get(repository);
  return {
    name: r.repo_name,
    repository,
    namespace,
    description: r.short_description ?? "",
    stars: r.star_count ?? 0,
    pulls: r.pull_count ?? 0,
    official: r.is_official === true,
    verified: badge === undefined ? null : badge === "verified_publisher",
    automated: r.is_automated === true,
  };
}

/** The catalog search names official images by slug "nginx", others "owner/name". */
function badgeMap(catalog: HubCatalogPage): Map<string, string> {
  const map = new Map<string, string>();
  for (const item of catalog.results ?? []) {
    const slug = typeof item.slug === "string" ? item.slug : item.id;
    if (typeof slug !== "string") continue;
    map.set(slug.includes("/") ? slug : `library/${slug}`, item.badge ?? "none");
  }
  return map;
}
