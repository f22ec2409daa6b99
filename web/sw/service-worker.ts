// The service worker's entry only wires events; the strategies live in their own
// modules: app-shell.ts (offline shell, updates), streamed-download.ts and
// port-stream.ts (streamed saves), and services.ts (what the page may call).
import { serve } from "../lib/rpc.ts";
import { dropOldShells, isShellRequest, precacheShell, serveShell } from "./app-shell.ts";
import { portStreamId, portStreamResponse } from "./port-stream.ts";
import { services } from "./services.ts";
import { streamJobId, streamResponse } from "./streamed-download.ts";

declare const self: ServiceWorkerGlobalScope;

self.addEventListener("install", (event) => {
  event.waitUntil(precacheShell());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(Promise.all([dropOldShells(), self.clients.claim()]));
});

const answer = serve(services);
self.addEventListener("message", (event: ExtendableMessageEvent) => {
  const answered = answer(event.data, (message) => event.source?.postMessage(message));
  if (answered) event.waitUntil(answered);
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const streamId = url.origin === self.location.origin ? streamJobId(url) : undefined;
  const portId = url.origin === self.location.origin ? portStreamId(url) : undefined;
  if (streamId !== undefined) event.respondWith(streamResponse(streamId));
  else if (portId !== undefined) event.respondWith(portStreamResponse(portId));
  else if (isShellRequest(event.request)) event.respondWith(serveShell(event.request));
});
