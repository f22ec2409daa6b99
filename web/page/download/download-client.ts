// The page's side of downloads: calls to the download worker (lib/rpc.ts), started on
// first use so the initial page load stays small, and to the service worker for the
// streamed path; one stream of job events from both (the worker's through each job's
// call, the service worker's over a BroadcastChannel).

import { PROGRESS_CHANNEL, STREAM_PATH, type JobEvent, type StartJob } from "../../lib/protocol.ts";
import { remoteWorker } from "../../lib/rpc.ts";
import type { DownloadServices } from "../../workers/download/services.ts";
import { downloadThroughFrame } from "../browser-download.ts";
import { serviceWorker } from "../sw-client.ts";

/** The download worker: overview, resolve and tags for the form, typed from its handlers. */
export const downloadWorker = remoteWorker<DownloadServices>(
  () => new Worker(new URL("../../workers/download/download.worker.ts", import.meta.url), { type: "module", name: "dockerdl-download" }),
);

type Listener = (event: JobEvent) => void;

const listeners = new Set<Listener>();
let channel: BroadcastChannel | undefined;
const frames = new Map<string, HTMLIFrameElement>();

function dispatch(event: JobEvent): void {
  if (event.kind === "status" && ["done", "failed", "cancelled"].includes(event.status)) {
    frames.get(event.id)?.remove();
    frames.delete(event.id);
  }
  for (const listener of listeners) listener(event);
}

export function onJobEvent(listener: Listener): () => void {
  listeners.add(listener);
  if (!channel && "BroadcastChannel" in window) {
    channel = new BroadcastChannel(PROGRESS_CHANNEL);
    channel.addEventListener("message", (message: MessageEvent<JobEvent>) => dispatch(message.data));
  }
  return () => listeners.delete(listener);
}

export function startFileDownload(job: StartJob, handle: FileSystemFileHandle, resume: boolean): void {
  void downloadWorker.start({ job, handle, resume }, { onProgress: dispatch }).catch(() => {});
}

export function controlFileDownload(id: string, action: "pause" | "cancel"): void {
  if (action === "pause") void downloadWorker.pause({ id }).catch(() => {});
  else void downloadWorker.cancel({ id }, { onProgress: dispatch }).catch(() => {});
}

/** Hands the job to the service worker, then starts the browser download with a hidden iframe. */
export async function startStreamDownload(job: StartJob): Promise<void> {
  await serviceWorker.prepareStream(job);
  frames.set(job.id, downloadThroughFrame(`${STREAM_PATH}${encodeURIComponent(job.id)}`));
}

export function controlStreamDownload(id: string, action: "pause" | "resume" | "cancel"): void {
  void serviceWorker.controlStream({ id, action }).catch(() => {});
}
