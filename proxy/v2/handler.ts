// The pull side of the distribution API: /v2/, manifests, blobs and tags/list, for the
// upstream the path (or ?ns=) selects. Manifests and blobs go through the R2 cache when
// one is bound; tags/list is always passed through (it changes, and it is cheap). A
// refusal by an upstream the client's credentials never reach says so (upstream/auth.ts).
import { handleBlob } from "./blobs.ts";
import type { Config } from "../config.ts";
import { handleManifest } from "./manifests.ts";
import type { Mirror } from "./mirror.ts";
import { registryErrorResponse } from "./errors.ts";
import { registryHeaders, relayResponse } from "./relay.ts";
import { parseV2Path, RouteError, unknownRegistry, type V2Route } from "./route.ts";
import { explainWithheldCredentials } from "../upstream/auth.ts";
import { upstreamFailure, upstreamFetch, upstreamHeaders, upstreamTarget } from "../upstream/fetch.ts";

export async function handleV2(request: Request, mirror: Mirror): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return registryErrorResponse(405, "UNSUPPORTED", "this mirror is read-only: only GET and HEAD are supported");
  }
  const url = new URL(request.url);
  let route: V2Route | null;
  try {
    route = parseV2Path(url.pathname, url.searchParams, mirror.config);
  } catch (error) {
    if (error instanceof RouteError) return routeErrorResponse(error);
    throw error;
  }
  if (!route) return handleBase(request, url, mirror.config);
  const response = route.kind === "blobs" ? await handleBlob(request, route, mirror) : route.kind === "manifests" ? await handleManifest(request, route, mirror) : await listTags(request, url, route, mirror);
  return explainWithheldCredentials(response, request, route, mirror);
}

async function handleBase(request: Request, url: URL, config: Config): Promise<Response> {
  // Like Docker Hub, /v2/ challenges anonymous clients: docker, containerd and
  // containers/image only do the token dance when the probe tells them to.
  // Without ?ns= the service is the mirror's own name, not docker.io: such clients ask
  // /token with it for every registry they name by host prefix (token.ts).
  const ns = url.searchParams.get("ns")?.toLowerCase();
  const headers = registryHeaders();
  if (ns !== undefined && !config.upstreams.has(ns)) return routeErrorResponse(unknownRegistry(ns, config));
  if (!request.headers.get("authorization")) {
    headers.set("www-authenticate", `Bearer realm="${url.origin}/token",service="${ns ?? url.host}"`);
    return new Response(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }), { status: 401, headers });
  }
  return new Response("{}", { headers });
}

async function listTags(request: Request, url: URL, route: V2Route, mirror: Mirror): Promise<Response> {
  const target = upstreamTarget(route, "tags/list");
  for (const p of ["n", "last"]) {
    const v = url.searchParams.get(p);
    if (v !== null) target.searchParams.set(p, v);
  }
  try {
    const response = await upstreamFetch(target, { method: request.method, headers: await upstreamHeaders(request, route, { method: "GET" }, mirror), signal: request.signal, deadlines: mirror.config.upstreamDeadlines, smallBody: true }, route.upstream);
    return relayResponse(response, request, route, mirror);
  } catch (error) {
    return upstreamFailure(error, route.key);
  }
}

function routeErrorResponse(error: RouteError): Response {
  return registryErrorResponse(error.status, error.code, error.message, error.detail);
}
