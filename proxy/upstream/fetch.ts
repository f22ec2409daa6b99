// Every request the proxy makes to an upstream registry, its token realm or Hub's API
// goes through upstreamFetch. Redirects are followed by shared/registry/redirects.ts rather
// than by the runtime, so that each hop is checked by the address guard and Authorization
// is never forwarded to another origin (blob CDNs reject it, and it must not leak). On top of it: the
// request made on a client's behalf (callUpstream: the upstream's own repository name,
// the client's Accept and Range, the client's Authorization turned back into what the
// upstream issued, or for a client without credentials the operator's account where
// operator.ts lends it), and the answer for an upstream that could not or would not be
// reached. What the Worker reads for itself goes through the shared registry client
// (client.ts), whose fetch passes the same guard.
import { MANIFEST_ACCEPT } from "../../shared/media-types.ts";
import { DEFAULT_DEADLINES, type ProxyContext, type UpstreamDeadlines } from "../config.ts";
import { followRedirects } from "../../shared/registry/redirects.ts";
import { registryErrorResponse } from "../v2/errors.ts";
import type { V2Route } from "../v2/route.ts";
import { checkTarget, ForbiddenTargetError } from "./address-guard.ts";
import { UpstreamTimeout, withDeadlines } from "./deadline.ts";
import { isAnonymous, upstreamAuthorization } from "./auth.ts";
import { anonymousRenewal } from "./expired-token.ts";
import type { HttpRequestInit } from "../../shared/http.ts";
import { operatorAuthorization } from "./operator.ts";

/** `<upstream base>/v2/<path>`; the base may carry a path prefix, never a doubled slash. */
export function v2Url(upstream: URL, path: string): URL {
  return new URL(`${upstream.origin}${upstream.pathname.replace(/\/+$/, "")}/v2/${path}`);
}

export interface UpstreamInit {
  method: string;
  headers: Headers;
  signal?: AbortSignal;
  /** The config's UPSTREAM_HEADERS_TIMEOUT and UPSTREAM_IDLE_TIMEOUT (deadline.ts); their defaults when not given. */
  deadlines?: UpstreamDeadlines;
  /** The body is small and read whole (a manifest, a tag list, a token answer): watched for idleness read by read. */
  smallBody?: boolean;
}

/**
 * A request to `url` on behalf of `upstream`; throws ForbiddenTargetError if the guard
 * refuses a hop, UpstreamTimeout if the headers (all hops) or a small body miss their deadline.
 */
export async function upstreamFetch(url: URL, init: UpstreamInit, upstream: URL): Promise<Response> {
  const headers: Record<string, string> = {};
  init.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const once = async (): Promise<{ response: Response; redirected: boolean }> => {
    let hops = 0;
    const response = await withDeadlines(
      (signal) => followRedirects((hop, hopInit) => (hops++, fetch(hop, hopInit)), url.href, { method: init.method, headers, signal }, { guard: (hop) => checkTarget(hop, upstream) }),
      { deadlines: init.deadlines ?? DEFAULT_DEADLINES, step: `${init.method} ${url.origin}${url.pathname}`, watchBody: init.smallBody === true, ...(init.signal ? { signal: init.signal } : {}) },
    );
    return { response, redirected: hops > 1 };
  };
  const first = await once();
  // A signed storage URL may expire between the registry's redirect and its own request
  // (quay.io's and gcr.io's last a few minutes, some CDNs' seconds; a slow hop or a
  // throttled link is enough). Storage refusing what the registry sent us to is asked
  // again from the registry once, for a fresh redirect; the registry's own refusal stands.
  if (!STORAGE_REFUSALS.has(first.response.status) || !(first.redirected || fromStorage(first.response))) return first.response;
  await first.response.body?.cancel().catch(() => {});
  return (await once()).response;
}

/**
 * A refusal that is not a registry's: no challenge and no JSON (the spec's errors are
 * JSON), e.g. S3's XML. Where the runtime follows redirects itself (the local one does),
 * the hop count cannot tell.
 */
function fromStorage(response: Response): boolean {
  return !response.headers.has("www-authenticate") && !/json/i.test(response.headers.get("content-type") ?? "");
}

/** What storage answers a signed URL past its expiry: S3 403 (or 400), GCS 400/403, some CDNs 401 or 410. */
const STORAGE_REFUSALS: ReadonlySet<number> = new Set([400, 401, 403, 410]);

export function upstreamTarget(route: V2Route, path: string): URL {
  return v2Url(route.upstream, `${route.upstreamName}/${path}`);
}

export interface CallOptions {
  method: "GET" | "HEAD";
  /** Forward the client's Range header (only for pass-through blob reads). */
  range?: boolean;
  /** Ask for this Range instead of the client's (a blob's transfer resumed after a cut). */
  rangeHeader?: string;
  /** Send no credentials at all (probing what anyone may read). */
  anonymous?: boolean;
  /** Send only the requester's own credentials, never the operator's (checking what they may read). */
  ownCredentials?: boolean;
}

/** The request's headers upstream; `path` (under the repository) lets operator.ts lend the operator's account. */
export async function upstreamHeaders(request: Request, route: V2Route, options: CallOptions, context: ProxyContext, path?: string): Promise<Headers> {
  const headers = new Headers();
  const accept = request.headers.get("accept");
  if (route.kind === "manifests") {
    // A client that names no manifest type (curl's */*) gets the modern ones: told */*,
    // distribution would down-convert to a schema 1 manifest that exists under no digest.
    headers.set("accept", accept && /application\/vnd\./i.test(accept) ? accept : MANIFEST_ACCEPT);
  } else {
    if (accept) headers.set("accept", accept);
    // Bytes compressed for transport would be checked against the digest of other bytes.
    headers.set("accept-encoding", "identity");
  }
  if (!options.anonymous) {
    const client = request.headers.get("authorization");
    const lent = path !== undefined && !options.ownCredentials && isAnonymous(client) ? await operatorAuthorization(route, path, context) : null;
    const authorization = lent ?? await upstreamAuthorization(client, route.key, context);
    if (authorization) headers.set("authorization", authorization);
  }
  if (options.rangeHeader !== undefined) {
    headers.set("range", options.rangeHeader);
  } else if (options.range) {
    for (const name of ["range", "if-range"]) {
      const value = request.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
  }
  return headers;
}

/** upstreamFetch in the shape the shared token steps take (a token realm): every hop through the address guard for `upstream`. */
export function realmFetch(upstream: URL, deadlines: UpstreamDeadlines) {
  return (url: string, init: HttpRequestInit) => upstreamFetch(new URL(url), { method: init.method ?? "GET", headers: new Headers(init.headers), signal: init.signal, deadlines, smallBody: true }, upstream);
}

/**
 * One request upstream for `path` under the route's repository; throws if the guard
 * refuses. A client token the upstream refuses as expired is replaced by an anonymous one
 * once (expired-token.ts).
 */
export async function callUpstream(request: Request, route: V2Route, path: string, options: CallOptions, context: ProxyContext): Promise<Response> {
  const headers = await upstreamHeaders(request, route, options, context, path);
  const init = { method: options.method, headers, signal: request.signal, deadlines: context.config.upstreamDeadlines, smallBody: route.kind !== "blobs" };
  const target = upstreamTarget(route, path);
  const response = await upstreamFetch(target, init, route.upstream);
  if (!headers.has("authorization")) return response;
  const renewed = await anonymousRenewal(response, realmFetch(route.upstream, context.config.upstreamDeadlines));
  if (renewed === null) return response;
  await response.body?.cancel().catch(() => {});
  headers.set("authorization", renewed);
  return upstreamFetch(target, init, route.upstream);
}

/** The response for an upstream the proxy could not or would not reach. */
export function upstreamFailure(error: unknown, key: string): Response {
  if (error instanceof ForbiddenTargetError) return registryErrorResponse(403, "DENIED", error.message);
  if (error instanceof UpstreamTimeout) return registryErrorResponse(504, "UNKNOWN", `registry ${key} timed out: ${error.message}`);
  return registryErrorResponse(502, "UNKNOWN", `could not reach registry ${key}: ${error instanceof Error ? error.message : String(error)}`);
}
