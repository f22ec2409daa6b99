// The seed API as the search and image pages use it: same-origin GETs (so the answers
// can be shared by caches), an AbortSignal on every call, and the API's JSON errors
// ({"error":{code,message,hint,key,params}}) thrown as DockerdlError with all of them. The
// shapes are the Worker's own, from shared/seed-api.ts.
import type { ImageDetails, PopularAnswer, SearchAnswer, SearchResult, TagInfo } from "../../../shared/seed-api.ts";
import { DockerdlError } from "../../../shared/errors.ts";
import { apiAnswerError } from "../../lib/errors.ts";

export type { ImageDetails, SearchAnswer, SearchResult, TagInfo };

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
    throw new DockerdlError("NETWORK", error instanceof Error ? error.message : String(error), { key: "NETWORK.api" });
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw apiAnswerError(body, response);
  if (body === null) throw new DockerdlError("BAD_ANSWER", "the server's answer was not JSON");
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

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}
