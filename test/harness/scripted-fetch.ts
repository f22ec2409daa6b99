// A fetch for the shared registry client that answers from a function instead of the
// network, and records every call: for unit tests of what the client sends and how it
// reads what comes back (real Response objects, so bodies stream as they would).
import type { HttpFetch, HttpRequestInit, HttpResponse } from "../../shared/http.ts";

export type ScriptedHandler = (url: URL, init: HttpRequestInit) => Response | Promise<Response>;

export type ScriptedFetch = HttpFetch & { calls: { url: string; init: HttpRequestInit }[] };

export function scriptedFetch(handler: ScriptedHandler): ScriptedFetch {
  const calls: { url: string; init: HttpRequestInit }[] = [];
  const f = (async (url: string, init: HttpRequestInit) => {
    calls.push({ url, init });
    return (await handler(new URL(url), init)) as unknown as HttpResponse;
  }) as ScriptedFetch;
  f.calls = calls;
  return f;
}

/** A registry's 401 with a Bearer challenge for `scope`. */
export function bearerChallenge(realm: string, service: string, scope: string): Response {
  return new Response(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }), {
    status: 401,
    headers: { "www-authenticate": `Bearer realm="${realm}",service="${service}",scope="${scope}"` },
  });
}
