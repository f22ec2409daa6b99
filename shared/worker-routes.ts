// Which paths are the Worker's rather than the app's, declared once. wrangler.toml's
// `run_worker_first` must list exactly WORKER_PATHS (a unit test compares them): those
// requests reach the Worker, everything else is the PWA's static files (unknown paths get
// index.html). The Worker routes by the same patterns, and the service worker leaves
// these paths to the network instead of answering them from the app shell.

/** Cloudflare's static-asset route patterns: "/x" is that path, "/x/*" anything under /x/. */
export const WORKER_PATHS = ["/v2", "/v2/*", "/token", "/v1/*", "/api/*"] as const;

/** What answers a Worker path: the registry mirror, its auth realm, or the seed API. */
export type WorkerService = "registry" | "token" | "api";

const SERVICES: Record<(typeof WORKER_PATHS)[number], WorkerService> = {
  "/v2": "registry",
  "/v2/*": "registry",
  "/token": "token",
  "/v1/*": "api",
  "/api/*": "api",
};

function matches(pattern: string, pathname: string): boolean {
  return pattern.endsWith("/*") ? pathname.startsWith(pattern.slice(0, -1)) : pathname === pattern;
}

/** The service a path belongs to, or null when it is the app's. */
export function workerServiceOf(pathname: string): WorkerService | null {
  const pattern = WORKER_PATHS.find((p) => matches(p, pathname));
  return pattern ? SERVICES[pattern] : null;
}
