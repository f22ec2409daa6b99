// The service worker's entry only wires events; the strategies live in their own
// modules: app-shell.ts (offline shell, updates) and streamed-download.ts.
import type { ServiceWorkerRequest } from "../lib/protocol.ts";
import { dropOldShells, isShellRequest, precacheShell, serveShell } from "./app-shell.ts";
import { isPortStreamPrepare, portStreamId, portStreamResponse, preparePortStream } from "./port-stream.ts";
import { controlStream, prepareStream, streamJobId, streamResponse } from "./streamed-download.ts";

declare const self: ServiceWorkerGlobalScope;

self.addEventListener("install", (event) => {
  event.waitUntil(precacheShell());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(Promise.all([dropOldShells(), self.clients.claim()]));
});

self.addEventListener("message", (event: ExtendableMessageEvent) => {
  if (isPortStreamPrepare(event.data)) {
    if (preparePortStream(event.data, event.ports[0])) event.source?.postMessage({ kind: "stream-ready", id: event.data.id });
    return;
  }
  const message = event.data as ServiceWorkerRequest;
  switch (message.kind) {
    case "skip-waiting":
      void self.skipWaiting();
      break;
    case "prepare-stream":
      prepareStream(message.job);
      event.source?.postMessage({ kind: "stream-ready", id: message.job.id });
      break;
    case "pause":
    case "resume":
    case "cancel":
      controlStream(message.id, message.kind);
      break;
  }
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const streamId = url.origin === self.location.origin ? streamJobId(url) : undefined;
  const portId = url.origin === self.location.origin ? portStreamId(url) : undefined;
  if (streamId !== undefined) event.respondWith(streamResponse(streamId));
  else if (portId !== undefined) event.respondWith(portStreamResponse(portId));
  else if (isShellRequest(event.request)) event.respondWith(serveShell(event.request));
});
