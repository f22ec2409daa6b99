// GET /v1/search?q=&n=&page= in the registry v1 shape `docker search` reads, so
// `docker search <mirror>/nginx` works; and /v1/_ping, which docker asks first. Answers
// come from the same cached Hub search as /api/search.
import type { ApiContext } from "./context.ts";
import { cacheHeaders } from "./cache.ts";
import { jsonResponse } from "./errors.ts";
import { MAX_QUERY_LENGTH, optionalInt, readParams, requireText } from "./input.ts";
import { SEARCH_LIMIT_MAX, SEARCH_PAGE_MAX, searchHub } from "./search.ts";

/** moby's registry.SearchResults, plus the v1 index's paging fields. */
export interface DockerSearchResults {
  num_results: number;
  num_pages: number;
  page: number;
  page_size: number;
  query: string;
  results: { name: string; description: string; star_count: number; is_official: boolean; is_automated: boolean }[];
}

export async function handleDockerSearch(request: Request, ctx: ApiContext): Promise<Response> {
  const params = await readParams(request, { q: ["q"], n: ["n"], page: ["page"] });
  const query = requireText(params, "q", "the search term", MAX_QUERY_LENGTH);
  const limit = optionalInt(params, "n", 25, 1, SEARCH_LIMIT_MAX);
  const page = optionalInt(params, "page", 1, 1, SEARCH_PAGE_MAX);
  const cached = await searchHub(ctx, query, limit, page);
  const answer = cached.value;
  const body: DockerSearchResults = {
    num_results: answer.total,
    num_pages: Math.max(1, Math.ceil(answer.total / limit)),
    page,
    page_size: limit,
    query,
    results: answer.results.map((r) => ({
      name: r.name,
      description: r.description,
      star_count: r.stars,
      is_official: r.official,
      is_automated: r.automated,
    })),
  };
  return jsonResponse(body, 200, cacheHeaders(cached, ctx.config.searchTtlMs, ctx.now()));
}

/** docker pings a v1 index before searching it; any JSON answer will do, this is the classic one. */
export function handleV1Ping(): Response {
  return jsonResponse({ standalone: true }, 200, { "x-docker-registry-standalone": "true" });
}
