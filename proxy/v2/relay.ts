// Passes an upstream registry answer on to the client: the headers a registry client
// needs, 401 challenges pointed at our /token, tags pagination links pointed at our own
// name for the repository, and a JSON body streamed untouched. A body whose Content-Type
// is not exactly a JSON type (an HTML error or throttling page, `text/html;x=json`) is
// never served from the Worker's origin, which is the PWA's: it becomes an error in the
// spec's shape. A 429 from Docker Hub always gets
// the mirror's own words (errors.ts), which say what lifts the limit.
import type { ProxyContext } from "../config.ts";
import { registryErrorResponse, retryAfterSeconds, upstreamRateLimitMessage, type DistributionErrorCode } from "./errors.ts";
import type { V2Route } from "./route.ts";
import { rewriteChallenge } from "../upstream/auth.ts";

const FORWARD_RESPONSE_HEADERS = [
  "content-type", "content-length", "content-range", "accept-ranges", "docker-content-digest", "etag",
  "last-modified", "retry-after", "ratelimit-limit", "ratelimit-remaining", "docker-ratelimit-source",
];

export function registryHeaders(): Headers {
  return new Headers({ "content-type": "application/json", "docker-distribution-api-version": "registry/2.0" });
}

export function relayResponse(response: Response, request: Request, route: V2Route, context: ProxyContext): Response {
  const url = new URL(request.url);
  const headers = registryHeaders();
  for (const name of FORWARD_RESPONSE_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  if (response.status === 401) {
    const challenge = rewriteChallenge(response.headers.get("www-authenticate"), url.origin, route.key, route.clientName);
    if (challenge) headers.set("www-authenticate", challenge);
  }
  if (response.status === 429 && (route.key === "docker.io" || !isJson(response))) {
    void response.body?.cancel();
    headers.delete("content-length");
    headers.set("content-type", "application/json");
    if (request.method === "HEAD") return new Response(null, { status: 429, headers });
    return registryErrorResponse(429, "TOOMANYREQUESTS", rateLimited(response, route, context), undefined, headers);
  }
  if (request.method === "HEAD" && !isJson(response)) {
    // A HEAD answer has no body; only its type is the upstream's to correct.
    void response.body?.cancel();
    headers.set("content-type", "application/json");
    return new Response(null, { status: response.status, headers });
  }
  if (response.body && !isJson(response)) {
    void response.body.cancel();
    headers.delete("content-length");
    headers.delete("content-type");
    const code = response.status === 404 ? NOT_FOUND[route.kind] : ERROR_CODES[response.status] ?? "UNKNOWN";
    return registryErrorResponse(response.status >= 400 ? response.status : 502, code, notJson(response, route), undefined, headers);
  }
  const link = response.headers.get("link");
  if (link) headers.set("link", rewriteLink(link, url, route));
  return new Response(response.body, { status: response.status, headers });
}

/** The spec's code for an upstream status a client acts on. */
const ERROR_CODES: Record<number, DistributionErrorCode> = { 401: "UNAUTHORIZED", 403: "DENIED", 416: "RANGE_INVALID", 429: "TOOMANYREQUESTS" };
const NOT_FOUND: Record<V2Route["kind"], DistributionErrorCode> = { manifests: "MANIFEST_UNKNOWN", blobs: "BLOB_UNKNOWN", tags: "NAME_UNKNOWN" };

/** The words for an upstream's 429 (errors.ts). */
function rateLimited(response: Response, route: Pick<V2Route, "key">, context: ProxyContext): string {
  return upstreamRateLimitMessage(route.key, retryAfterSeconds(response.headers, context.now()), context.config.upstreamAuth.has(route.key));
}

function notJson(response: Response, route: V2Route): string {
  return `${route.key} answered ${response.status} with ${response.headers.get("content-type") ?? "an untyped body"} instead of a registry answer`;
}

function isJson(response: Response): boolean {
  return isJsonMediaType(response.headers.get("content-type"));
}

/** type/subtype, then parameters (`; name=value`, the value a token or a quoted string), as RFC 9110 writes them. */
const MEDIA_TYPE = /^([!#$%&'*+.^_`|~\w-]+\/[!#$%&'*+.^_`|~\w-]+)(?:[ \t]*;[ \t]*[!#$%&'*+.^_`|~\w-]+=(?:[!#$%&'*+.^_`|~\w-]+|"(?:[^"\\]|\\.)*"))*[ \t]*$/;

/**
 * Whether a Content-Type is exactly a JSON type a registry answers with: application/json,
 * or the registry's own application/vnd.docker.… / application/vnd.oci.… +json types,
 * parameters (a charset) allowed. Anything else, `text/html;x=json` say, is not relayed:
 * the Worker's origin is the app's.
 */
export function isJsonMediaType(contentType: string | null): boolean {
  const essence = MEDIA_TYPE.exec((contentType ?? "").trim())?.[1].toLowerCase();
  if (!essence) return false;
  return essence === "application/json" || /^application\/vnd\.(docker|oci)\.[\w.-]+\+json$/.test(essence);
}

/** Tags pagination: the upstream's Link points at its own name; point it at ours. */
function rewriteLink(link: string, url: URL, route: V2Route): string {
  return link.replace(/<([^>]*)>/, (_, target: string) => {
    const next = new URL(target, route.upstream);
    const mine = new URL(`/v2/${route.clientName}/tags/list`, url.origin);
    mine.search = next.search;
    const ns = url.searchParams.get("ns");
    if (ns) mine.searchParams.set("ns", ns);
    return `<${mine.pathname}${mine.search}>`;
  });
}
