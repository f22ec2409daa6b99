// The pull side of the distribution API: /v2/, manifests, blobs and tags/list, passed
// through to the upstream the path selects, with challenges rewritten to our /token and
// bodies streamed, never buffered.
import type { Config } from "./config.ts";
import { registryError } from "./registry-errors.ts";
import { parseV2Path, RouteError, type V2Route } from "./route.ts";
import { rewriteChallenge, upstreamAuthorization } from "./token.ts";
import { upstreamFailure } from "./upstream-failure.ts";
import { upstreamFetch } from "./upstream.ts";

const FORWARD_REQUEST_HEADERS = ["accept", "authorization", "range", "if-none-match"];
const FORWARD_RESPONSE_HEADERS = [
  "content-type", "content-length", "content-range", "accept-ranges", "docker-content-digest", "etag",
  "last-modified", "retry-after", "ratelimit-limit", "ratelimit-remaining", "docker-ratelimit-source",
];

export async function handleV2(request: Request, config: Config): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return registryError(405, "UNSUPPORTED", "this mirror is read-only: only GET and HEAD are supported");
  }
  const url = new URL(request.url);
  let route: V2Route | null;
  try {
    route = parseV2Path(url.pathname, url.searchParams, config);
  } catch (error) {
    if (error instanceof RouteError) return registryError(error.status, error.code, error.message);
    throw error;
  }
  if (!route) return handleBase(request, url, config);
  return forward(request, url, route);
}

async function handleBase(request: Request, url: URL, config: Config): Promise<Response> {
  // Like Docker Hub, /v2/ challenges anonymous clients: docker, containerd and
  // containers/image only do the token dance when the probe tells them to.
  const key = url.searchParams.get("ns")?.toLowerCase() ?? "docker.io";
  const headers = baseHeaders();
  if (!config.upstreams.has(key)) return registryError(404, "NAME_UNKNOWN", `registry "${key}" is not configured on this mirror`);
  if (!request.headers.get("authorization")) {
    headers.set("www-authenticate", `Bearer realm="${url.origin}/token",service="${key}"`);
    return new Response(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }), { status: 401, headers });
  }
  return new Response("{}", { headers });
}

function baseHeaders(): Headers {
  return new Headers({ "content-type": "application/json", "docker-distribution-api-version": "registry/2.0" });
}

async function forward(request: Request, url: URL, route: V2Route): Promise<Response> {
  const path = route.kind === "tags" ? `tags/list` : `${route.kind}/${route.reference}`;
  const target = new URL(`${route.upstream.href}/v2/${route.upstreamName}/${path}`);
  if (route.kind === "tags") {
    for (const p of ["n", "last"]) {
      const v = url.searchParams.get(p);
      if (v !== null) target.searchParams.set(p, v);
    }
  }
  const headers = new Headers();
  for (const name of FORWARD_REQUEST_HEADERS) {
    const value = name === "authorization" ? upstreamAuthorization(request.headers.get(name)) : request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  let response: Response;
  try {
    response = await upstreamFetch(target, { method: request.method, headers, signal: request.signal }, route.upstream);
  } catch (error) {
    return upstreamFailure(error, route.key);
  }
  return relayResponse(response, url, route);
}

export function relayResponse(response: Response, url: URL, route: V2Route): Response {
  const headers = baseHeaders();
  for (const name of FORWARD_RESPONSE_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  if (response.status === 401) {
    const challenge = rewriteChallenge(response.headers.get("www-authenticate"), url.origin, route.key, route.clientName);
    if (challenge) headers.set("www-authenticate", challenge);
  }
  const link = response.headers.get("link");
  if (link) headers.set("link", rewriteLink(link, url, route));
  return new Response(response.body, { status: response.status, headers });
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
