// The seed API as the search and image pages use it: same-origin GETs (so the answers
// can be shared by caches), an AbortSignal on every call, and the API's JSON errors
// ({"error":{code,message,hint}}) turned into ErrorInfo. The shapes mirror
// proxy/api/search.ts, popular.ts, image-details.ts and tags.ts.
import type { ErrorInfo } from "../../lib/protocol.ts";

export interface SearchResult {
  name: string;
  repository: string;
  namespace: string;
  description: string;
  stars: number;
  pulls: number;
  official: boolean;
  verified: boolean | null;
  automated: boolean;
  lastUpdated?: string | null;
}

export interface SearchAnswer {
  query: string;
  page: number;
  limit: number;
  total: number;
  hasMore: boolean;
  results: SearchResult[];
}

export interface PopularAnswer {
  repositories: SearchResult[];
}

export interface TagPlatform {
  platform: string;
  os: string;
  architecture: string;
  variant?: string;
  digest: string | null;
  size: number | null;
  lastPushed?: string | null;
}

export interface TagInfo {
  name: string;
  digest: string | null;
  lastUpdated: string | null;
  platforms: TagPlatform[] | null;
}

export interface ImageDetails {
  image: string;
  registry: string;
  repository: string;
  name: string;
  source: "hub" | "registry";
  official: boolean | null;
  description: string | null;
  fullDescription: string | null;
  stars: number | null;
  pulls: number | null;
  lastUpdated: string | null;
  tag: TagInfo | null;
  tags: TagInfo[];
  tagCount: number | null;
  page: number;
  limit: number;
  hasMoreTags: boolean;
}

export class ApiFailure extends Error {
  readonly info: ErrorInfo;
  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = "ApiFailure";
    this.info = info;
  }
}

export const SEARCH_PAGE_SIZE = 25;
/** sessionStorage key of the last search, for the image page's way back. */
export const LAST_SEARCH_KEY = "dockerdl.lastSearch";
export const TAG_PAGE_SIZE = 25;

async function getJson<T>(path: string, params: Record<string, string | number>, signal: AbortSignal): Promise<T> {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  let response: Response;
  try {
    response = await fetch(`${path}?${query}`, { signal, headers: { accept: "application/json" } });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new ApiFailure({ code: "NETWORK", message: error instanceof Error ? error.message : String(error) });
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const e = (body as { error?: Partial<ErrorInfo> } | null)?.error;
    throw new ApiFailure({
      code: typeof e?.code === "string" ? e.code : `HTTP_${response.status}`,
      message: typeof e?.message === "string" ? e.message : `the server answered ${response.status} ${response.statusText}`,
      ...(typeof e?.hint === "string" ? { hint: e.hint } : {}),
    });
  }
  if (body === null) throw new ApiFailure({ code: "BAD_ANSWER", message: "the server's answer was not JSON" });
  return body as T;
}

export function searchImages(query: string, page: number, signal: AbortSignal): Promise<SearchAnswer> {
  return getJson("/api/search", { q: query, limit: SEARCH_PAGE_SIZE, page }, signal);
}

export function popularImages(signal: AbortSignal): Promise<PopularAnswer> {
  return getJson("/api/popular", {}, signal);
}

export function imageDetails(image: string, page: number, signal: AbortSignal): Promise<ImageDetails> {
  return getJson("/api/image-details", { image, page, limit: TAG_PAGE_SIZE }, signal);
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
