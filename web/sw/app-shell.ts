// Offline app shell: the build's files are cached when the service worker installs and
// served cache-first, so the app opens without a network. A new deployment is a new
// service worker (its file list and build id change); it waits until the page's
// update prompt tells it to take over, then drops the old caches.

import { workerServiceOf } from "../../shared/worker-routes.ts";

declare const self: ServiceWorkerGlobalScope;
declare const __PRECACHE__: string[];
declare const __BUILD_ID__: string;

const PREFIX = "dockerdl-shell-";
const CACHE = `${PREFIX}${__BUILD_ID__}`;

export async function precacheShell(): Promise<void> {
  const cache = await caches.open(CACHE);
  await cache.addAll(__PRECACHE__);
}

export async function dropOldShells(): Promise<void> {
  for (const name of await caches.keys()) {
    if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
  }
}

/** Whether this request is the shell's to answer (the registry and API paths never are). */
export function isShellRequest(request: Request): boolean {
  if (request.method !== "GET") return false;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return false;
  if (request.mode === "navigate") return workerServiceOf(url.pathname) === null;
  return __PRECACHE__.includes(url.pathname);
}

/** Cache first; navigations get the cached index.html (a single-page app). */
export async function serveShell(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const key = request.mode === "navigate" ? "/" : request;
  const cached = await cache.match(key, { ignoreSearch: request.mode === "navigate" });
  if (cached) return cached;
  return fetch(request);
}
