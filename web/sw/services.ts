// What the page may ask the service worker (lib/rpc.ts): take a download or an explorer
// save to stream before the page's hidden iframe asks for it, control a streamed
// download, stay awake, and (a new version) take over. The page's types for these calls
// come from this object: `Remote<ServiceWorkerServices>`.
import type { StartJob } from "../lib/protocol.ts";
import { preparePortStream } from "./port-stream.ts";
import { controlStream, prepareStream } from "./streamed-download.ts";

// Only what these handlers use of the global, so the page can check them against the DOM.
declare const self: { skipWaiting(): Promise<void> };

export const services = {
  /** Answers once the job is taken: the page then navigates its iframe to STREAM_PATH + id. */
  prepareStream: (job: StartJob) => prepareStream(job),

  controlStream: ({ id, action }: { id: string; action: "pause" | "resume" | "cancel" }) => controlStream(id, action),

  /** Answers once the save is taken: the page then navigates its iframe to EXPORT_STREAM_PATH + id. */
  preparePortStream,

  /** Sent while a stream runs: a message event keeps the service worker alive. */
  keepalive: () => undefined,

  /** The update prompt's "Reload": this waiting version takes over (app-shell.ts drops the old caches). */
  skipWaiting: () => self.skipWaiting(),
};

export type ServiceWorkerServices = typeof services;
