// Headers on the Worker's answers. The Worker shares its origin with the PWA, which keeps
// registry credentials in IndexedDB: nothing it serves may be sniffed into a page
// (nosniff), and whatever it serves is, if opened as a page, a sandboxed one that may load
// and run nothing (`default-src 'none'; sandbox`: a unique origin, no scripts), so not even
// an upstream's page that got past the checks could reach the app's storage.
// The app's own pages keep the Content-Security-Policy web/public/_headers gives them:
// static assets are answered before the Worker runs, or through its ASSETS binding, and
// get only nosniff here.

export const WORKER_CSP = "default-src 'none'; sandbox";

/** An answer of the Worker's own (the registry, /token, the API, its errors): the sandbox CSP and nosniff. */
export function withSecurityHeaders(response: Response): Response {
  // Answers from fetch or the assets binding have immutable headers: copy them first.
  const copy = new Response(response.body, response);
  copy.headers.set("content-security-policy", WORKER_CSP);
  copy.headers.set("x-content-type-options", "nosniff");
  return copy;
}

/** An answer of the app's static assets: nosniff if it lacks it, its own CSP kept. */
export function withAssetHeaders(response: Response): Response {
  if (response.headers.get("x-content-type-options") === "nosniff") return response;
  const copy = new Response(response.body, response);
  copy.headers.set("x-content-type-options", "nosniff");
  return copy;
}
