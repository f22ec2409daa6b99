// Requests to an upstream registry. Redirects are followed here rather than by the
// runtime so that each hop is checked by the address guard and Authorization is never
// forwarded to a redirect target (blob CDNs reject it, and it must not leak).
import { checkTarget } from "./address-guard.ts";

const MAX_REDIRECTS = 5;

/** `<upstream base>/v2/<path>`; the base may carry a path prefix, never a doubled slash. */
export function v2Url(upstream: URL, path: string): URL {
  return new URL(`${upstream.origin}${upstream.pathname.replace(/\/+$/, "")}/v2/${path}`);
}

export interface UpstreamInit {
  method: string;
  headers: Headers;
  signal?: AbortSignal;
}

export async function upstreamFetch(url: URL, init: UpstreamInit, upstream: URL): Promise<Response> {
  let current = url;
  let headers = init.headers;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    checkTarget(current, upstream);
    const response = await fetch(current.toString(), { method: init.method, headers, redirect: "manual", signal: init.signal });
    if (![301, 302, 303, 307, 308].includes(response.status)) return response;
    const location = response.headers.get("location");
    if (!location) return response;
    await response.body?.cancel();
    const next = new URL(location, current);
    if (next.origin !== current.origin) {
      headers = new Headers(headers);
      headers.delete("authorization");
    }
    current = next;
  }
  throw new Error(`too many redirects from ${url.host}`);
}
