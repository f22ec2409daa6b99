// Headers every Worker answer carries, whatever produced it. The Worker shares its origin
// with the PWA, which keeps registry credentials in IndexedDB: nothing it serves may be
// sniffed into a page (nosniff), and a blob or manifest must never render as one.
// The app's own pages get their Content-Security-Policy from web/public/_headers, since
// static assets are answered before the Worker runs.

export function withSecurityHeaders(response: Response): Response {
  if (response.headers.get("x-content-type-options") === "nosniff") return response;
  // Answers from fetch or the assets binding have immutable headers: copy them first.
  const copy = new Response(response.body, response);
  copy.headers.set("x-content-type-options", "nosniff");
  return copy;
}
