// Docker Hub's web API (HUB_API, https://hub.docker.com by default): requests for the
// few endpoints the seed API reads (their answers are typed in hub-types.ts), with Hub's
// failures turned into clear API errors. Requests go through the proxy's upstreamFetch
// so that a redirect is checked like any other upstream hop, and answers are read with a
// cap: a Worker isolate has 128 MB, and one endless answer would end every request in it.
import type { Config } from "../config.ts";
import type { ErrorParams } from "../../shared/errors.ts";
import { readBody, type HttpResponse } from "../../shared/http.ts";
import { upstreamFetch } from "../upstream/fetch.ts";
import { ApiError } from "./errors.ts";

export type { HubCatalogPage, HubNamespaceRepositoryPage, HubRepository, HubSearchPage, HubTag, HubTagImage, HubTagPage } from "./hub-types.ts";

const HUB_TIMEOUT_MS = 15_000;
/** Hub's largest answers (a tag page of 100 multi-platform tags) are a few hundred KiB. */
export const HUB_BODY_LIMIT = 4 << 20;

/** What a 404 of Hub's means for the asker: the English message and the key and params it is worded from. */
export interface HubNotFound {
  message: string;
  key: string;
  params: ErrorParams;
}

/** GETs `path` (with `query`) from Hub; a 404 becomes `notFound`. */
export async function hubGet<T>(config: Config, path: string, query: Record<string, string | number>, notFound: HubNotFound): Promise<T> {
  const url = new URL(joinPath(config.hubApi, path));
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value));
  let response: Response;
  try {
    response = await upstreamFetch(url, {
      method: "GET",
      headers: new Headers({ accept: "application/json", "user-agent": "dockerdl (+https://github.com/)" }),
      signal: AbortSignal.timeout(HUB_TIMEOUT_MS),
      deadlines: config.upstreamDeadlines,
      smallBody: true,
    }, config.hubApi);
  } catch (error) {
    const params = { host: config.hubApi.host, cause: error instanceof Error ? error.message : String(error) };
    throw new ApiError(502, "UPSTREAM", `could not reach Docker Hub's API at ${params.host}: ${params.cause}`, {
      key: "UPSTREAM.hub_unreachable",
      params,
      hint: "try again in a moment; the operator can check HUB_API",
    });
  }
  if (response.status === 404) {
    await response.body?.cancel();
    throw new ApiError(404, "NOT_FOUND", notFound.message, { key: notFound.key, params: notFound.params });
  }
  if (response.status === 429) {
    const retryAfter = response.headers.get("retry-after");
    await response.body?.cancel();
    throw new ApiError(429, "RATE_LIMITED", "Docker Hub is rate-limiting this mirror's requests", {
      key: "RATE_LIMITED.hub_api",
      hint: "try again in a minute",
      ...(retryAfter ? { headers: { "retry-after": retryAfter } } : {}),
    });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new ApiError(502, "UPSTREAM", `Docker Hub's API answered ${response.status} for ${path}`, { key: "UPSTREAM.hub_status", params: { status: String(response.status), path }, hint: "try again in a moment" });
  }
  let bytes: Uint8Array;
  try {
    bytes = await readBody(response as unknown as HttpResponse, HUB_BODY_LIMIT);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new ApiError(502, "UPSTREAM", `Docker Hub's API answered ${path} with more than ${HUB_BODY_LIMIT} bytes`, { key: "UPSTREAM.hub_too_big", params: { path, limit: String(HUB_BODY_LIMIT) }, hint: "try again later" });
    }
    throw new ApiError(502, "UPSTREAM", `the connection to Docker Hub's API broke while reading ${path}`, { key: "UPSTREAM.hub_broke", params: { path }, hint: "try again in a moment" });
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch {
    throw new ApiError(502, "UPSTREAM", `Docker Hub's API answered ${path} with something that is not JSON`, { key: "UPSTREAM.hub_not_json", params: { path } });
  }
}

/** Path segments for Hub: "library/nginx" → ["library", "nginx"]; Hub names have exactly two. */
export function hubPath(repository: string): { namespace: string; name: string } | null {
  const parts = repository.split("/");
  if (parts.length !== 2) return null;
  return { namespace: parts[0], name: parts[1] };
}

/** base + "/v2/…", whether or not the base URL ends with "/" (URL.href always does). */
function joinPath(base: URL, path: string): string {
  return base.href.replace(/\/+$/, "") + path;
}
