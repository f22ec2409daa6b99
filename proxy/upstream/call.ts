// Builds the request the proxy makes upstream on a client's behalf: the upstream's own
// repository name, the client's Accept and Range, and the client's Authorization turned
// back into what the upstream issued (see token.ts).
import { MANIFEST_ACCEPT } from "../../shared/media-types.ts";
import type { V2Route } from "../v2/route.ts";
import { upstreamAuthorization } from "../token.ts";
import { upstreamFetch, v2Url } from "./fetch.ts";

export function upstreamTarget(route: V2Route, path: string): URL {
  return v2Url(route.upstream, `${route.upstreamName}/${path}`);
}

export interface CallOptions {
  method: "GET" | "HEAD";
  /** Forward the client's Range header (only for pass-through blob reads). */
  range?: boolean;
  /** Send no credentials at all (probing what anyone may read). */
  anonymous?: boolean;
}

export function upstreamHeaders(request: Request, route: V2Route, options: CallOptions): Headers {
  const headers = new Headers();
  const accept = request.headers.get("accept");
  if (route.kind === "manifests") {
    // A client that names no manifest type (curl's */*) gets the modern ones: told */*,
    // distribution would down-convert to a schema 1 manifest that exists under no digest.
    headers.set("accept", accept && /application\/vnd\./i.test(accept) ? accept : MANIFEST_ACCEPT);
  } else if (accept) headers.set("accept", accept);
  if (!options.anonymous) {
    const authorization = upstreamAuthorization(request.headers.get("authorization"));
    if (authorization) headers.set("authorization", authorization);
  }
  if (options.range) {
    for (const name of ["range", "if-range"]) {
      const value = request.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
  }
  return headers;
}

/** One request upstream for `path` under the route's repository; throws if the guard refuses. */
export function callUpstream(request: Request, route: V2Route, path: string, options: CallOptions): Promise<Response> {
  return upstreamFetch(upstreamTarget(route, path), {
    method: options.method,
    headers: upstreamHeaders(request, route, options),
    signal: request.signal,
  }, route.upstream);
}
