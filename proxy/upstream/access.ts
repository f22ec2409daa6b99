// Who may be served a cached object. An object the upstream hands to anyone is public and
// is served from the cache to anyone, under any repository that names its digest (it is
// content-addressed, and anyone could have it from where it came); anything else is
// private, and before a private object leaves the cache the requester's own credentials
// are checked with a HEAD (no body bytes move) at the repository it came from, never at
// another: another upstream may claim any digest, and the requester's credentials are
// for the upstream they named. Whether a repository is public is probed without
// credentials, never taken from the client: a client cannot make private content public.
import type { Origin, Visibility } from "../cache/keys.ts";
import type { ProxyContext } from "../config.ts";
import { registryErrorResponse, retryAfterSeconds, upstreamRateLimitMessage } from "../v2/errors.ts";
import type { V2Route } from "../v2/route.ts";
import { carriesCredentials, rewriteChallenge } from "./auth.ts";
import { callUpstream, upstreamFailure } from "./fetch.ts";
import { anonymouslyReadable } from "./public-probe.ts";

/** How long a repository's visibility, as the cache records it, is trusted. */
const PROBE_TTL_MS = 5 * 60_000;

/**
 * Only a 2xx is access. Redirects are followed (blob HEADs end at a CDN): a 3xx on its
 * own proves nothing, since a misconfigured upstream may redirect anyone anywhere.
 */
function granted(response: Response): boolean {
  return response.status >= 200 && response.status < 300;
}

/** How an object the upstream just served to this requester may be cached. */
export async function visibilityFor(request: Request, route: V2Route, path: string, context: ProxyContext): Promise<Visibility> {
  // Sent upstream without credentials and served (or with the operator's, which are lent
  // only for a repository just served without them: operator.ts): anyone may read it.
  if (!carriesCredentials(request.headers.get("authorization"))) return "public";
  return (await anonymouslyReadable(route, path, PROBE_TTL_MS, context.now)) ? "public" : "private";
}

/**
 * Whether a cached private object may be served to this requester for `route`'s `path`,
 * given where it came from (cache/keys.ts originOf): "serve" once that repository, asked with the requester's own credentials,
 * serves it; the refusal to send when that repository is the route's own; "uncached"
 * otherwise (another upstream, an origin not recorded or since moved, a repository of
 * the same upstream that refuses): the route's own upstream is then asked, as if nothing
 * were cached, and must send bytes that match the digest.
 */
export async function privateAccess(request: Request, route: V2Route, path: string, origin: Origin | null, context: ProxyContext): Promise<"serve" | "uncached" | Response> {
  if (origin === null || origin.key !== route.key) return "uncached";
  const own = origin.upstreamName === route.upstreamName;
  const refusal = await verifyRequester(request, own ? route : { ...route, upstreamName: origin.upstreamName }, path, context);
  if (refusal === null) return "serve";
  if (own) return refusal;
  await refusal.body?.cancel();
  return "uncached";
}

/**
 * Checks upstream that this requester may read `path` of the repository they named.
 * null when they may; otherwise the refusal to send them (a 401 carries our challenge).
 */
export async function verifyRequester(request: Request, route: V2Route, path: string, context: ProxyContext): Promise<Response | null> {
  let response: Response;
  try {
    // Their own credentials: never the operator's (UPSTREAM_AUTH), which would vouch for them.
    response = await callUpstream(request, route, path, { method: "HEAD", ownCredentials: true }, context);
  } catch (error) {
    return upstreamFailure(error, route.key);
  }
  await response.body?.cancel();
  if (granted(response)) return null;
  return refusalFor(response, request, route, context);
}

/** A spec-shaped error for an upstream answer that carried no usable body (a HEAD). */
export function refusalFor(response: Response, request: Request, route: V2Route, context: ProxyContext): Response {
  const headers = new Headers();
  const retryAfter = response.headers.get("retry-after");
  if (retryAfter) headers.set("retry-after", retryAfter);
  const name = route.clientName;
  switch (response.status) {
    case 401: {
      const challenge = rewriteChallenge(response.headers.get("www-authenticate"), new URL(request.url).origin, route.key, name);
      if (challenge) headers.set("www-authenticate", challenge);
      return registryErrorResponse(401, "UNAUTHORIZED", `authentication required to pull ${name}`, undefined, headers);
    }
    case 403:
      return registryErrorResponse(403, "DENIED", `access to ${name} denied by ${route.key}`, undefined, headers);
    case 404:
      return route.kind === "blobs"
        ? registryErrorResponse(404, "BLOB_UNKNOWN", `blob ${route.reference} is not in ${name}`, undefined, headers)
        : registryErrorResponse(404, "MANIFEST_UNKNOWN", `manifest ${route.reference} is not in ${name}`, undefined, headers);
    case 429:
      return registryErrorResponse(429, "TOOMANYREQUESTS", upstreamRateLimitMessage(route.key, retryAfterSeconds(response.headers, context.now()), context.config.upstreamAuth.has(route.key)), undefined, headers);
    default:
      return registryErrorResponse(502, "UNKNOWN", `${route.key} answered ${response.status} for ${name}`, undefined, headers);
  }
}
