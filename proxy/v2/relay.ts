// Passes an upstream registry answer on to the client: the headers a registry client
// needs, 401 challenges pointed at our /token, tags pagination links pointed at our own
// name for the repository, and the body streamed untouched.
import { registryError } from "./errors.ts";
import type { V2Route } from "./route.ts";
import { rewriteChallenge } from "../upstream/auth.ts";

const FORWARD_RESPONSE_HEADERS = [
  "content-type", "content-length", "content-range", "accept-ranges", "docker-content-digest", "etag",
  "last-modified", "retry-after", "ratelimit-limit", "ratelimit-remaining", "docker-ratelimit-source",
];

export function registryHeaders(): Headers {
  return new Headers({ "content-type": "application/json", "docker-distribution-api-version": "registry/2.0" });
}

export function relayResponse(response: Response, request: Request, route: V2Route): Response {
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
  if (response.status === 429 && request.method === "HEAD") {
    // A HEAD answer has no body; a GET-shaped error would be dropped anyway.
    return new Response(null, { status: 429, headers });
  }
  if (response.status === 429 && !isJson(response)) {
    // Some upstreams throttle with an HTML page: say it in the spec's shape.
    void response.body?.cancel();
    headers.delete("content-length");
    return registryError(429, "TOOMANYREQUESTS", `${route.key} is rate limiting this mirror; retry after ${response.headers.get("retry-after") ?? "a while"}`, undefined, headers);
  }
  const link = response.headers.get("link");
  if (link) headers.set("link", rewriteLink(link, url, route));
  return new Response(response.body, { status: response.status, headers });
}

function isJson(response: Response): boolean {
  return /json/i.test(response.headers.get("content-type") ?? "");
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
