// A whole blob asked of its upstream, with what the cache needs to know of the answer:
// the size it must have and who may be served it once cached. Used by the request that
// relays a blob into the cache (v2/blobs.ts) and by a blob's fill (fill/blob-fill.ts).
import type { Visibility } from "../cache/keys.ts";
import type { ProxyContext } from "../config.ts";
import type { V2Route } from "../v2/route.ts";
import { visibilityFor } from "./access.ts";
import { callUpstream } from "./fetch.ts";

export interface WholeBlob {
  upstream: Response;
  visibility: Visibility;
  /** The blob's size when the answer can be cached (a 200 with a body, an exact size, not transport-encoded); else null. */
  length: number | null;
}

export async function fetchWholeBlob(request: Request, route: V2Route, path: string, context: ProxyContext): Promise<WholeBlob> {
  const [upstream, visibility] = await Promise.all([
    callUpstream(request, route, path, { method: "GET" }, context),
    visibilityFor(request, route, path, context),
  ]);
  return wholeBlobOf(upstream, visibility, request, route, path, context);
}

/** An upstream's answer that may be the whole blob (a whole GET's, or a range's the upstream ignored), with what the cache needs to know. */
export async function wholeBlobOf(upstream: Response, visibility: Visibility, request: Request, route: V2Route, path: string, context: ProxyContext): Promise<WholeBlob> {
  const length = await statedLength(upstream, request, route, path, context);
  const encoded = (upstream.headers.get("content-encoding") ?? "identity").toLowerCase() !== "identity";
  const cacheable = upstream.status === 200 && upstream.body !== null && length !== null && Number.isSafeInteger(length) && !encoded;
  return { upstream, visibility, length: cacheable ? length : null };
}

/**
 * The size a whole blob answer must have: its Content-Length, or, when it was sent
 * chunked without one (as mcr's data endpoint does), the size the registry states for a
 * HEAD of the blob. The bytes are then held to that size and the digest, so a HEAD that
 * lies only makes the answer fail; null when no size can be had.
 */
export async function statedLength(response: Response, request: Request, route: V2Route, path: string, context: ProxyContext): Promise<number | null> {
  const header = response.headers.get("content-length");
  if (header !== null) return /^\d+$/.test(header) ? Number(header) : null;
  if (response.status !== 200 || !response.body) return null;
  const head = await callUpstream(request, route, path, { method: "HEAD" }, context);
  await head.body?.cancel();
  const size = head.headers.get("content-length");
  return head.status === 200 && size !== null && /^\d+$/.test(size) ? Number(size) : null;
}
