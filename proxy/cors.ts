// CORS for the PWA and any origin the operator allows: clients in a page must be able
// to read the registry headers the engine relies on.
import type { Config } from "./config.ts";

const EXPOSE = "Docker-Content-Digest, Content-Range, Content-Length, WWW-Authenticate, Link, Retry-After, Accept-Ranges, Content-Disposition, Content-Type, ETag";

function allowOrigin(request: Request, config: Config): string | null {
  const origin = request.headers.get("origin");
  if (!origin) return null;
  if (config.allowedOrigins.includes("*")) return "*";
  if (origin === new URL(request.url).origin || config.allowedOrigins.includes(origin)) return origin;
  return null;
}

export function preflight(request: Request, config: Config): Response {
  const origin = allowOrigin(request, config);
  const headers = new Headers({ vary: "Origin" });
  if (origin) {
    headers.set("access-control-allow-origin", origin);
    headers.set("access-control-allow-methods", "GET, HEAD, POST, OPTIONS");
    headers.set("access-control-allow-headers", "Authorization, Range, Accept, Content-Type, If-None-Match");
    headers.set("access-control-max-age", "86400");
  }
  return new Response(null, { status: 204, headers });
}

export function withCors(request: Request, response: Response, config: Config): Response {
  const origin = allowOrigin(request, config);
  if (!origin) return response;
  const headers = new Headers(response.headers);
  headers.set("access-control-allow-origin", origin);
  headers.set("access-control-expose-headers", EXPOSE);
  headers.append("vary", "Origin");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
