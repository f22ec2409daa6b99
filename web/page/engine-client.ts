// The page's side of the download worker and the service worker: requests with
// promised answers, and one stream of job events from both. The worker is started on
// first use, so the initial page load stays small.

import type { Platform } from "../../shared/platform.ts";
import { DockerdlError } from "../../shared/errors.ts";
import { errorFromInfo } from "../lib/errors.ts";
import { PROGRESS_CHANNEL, STREAM_PATH, type Event, type ImageSummary, type Request, type ServiceWorkerRequest, type StartJob } from "../lib/protocol.ts";
import type { Credentials, ImageOverview } from "../lib/image-lookup.ts";

type Listener = (event: Event) => void;

let worker: Worker | undefined;
const waiting = new Map<string, { resolve(value: unknown): void; reject(error: unknown): void }>();
const listeners = new Set<Listener>();
let channel: BroadcastChannel | undefined;
const frames = new Map<string, HTMLIFrameElement>();

function dispatch(event: Event): void {
  if (event.kind === "result") {
    const pending = waiting.get(event.id);
    waiting.delete(event.id);
    if (event.ok) pending?.resolve(event.value);
    else pending?.reject(errorFromInfo(event.error));
    return;
  }
  if (event.kind === "status" && ["done", "failed", "cancelled"].includes(event.status)) {
    frames.get(event.id)?.remove();
    frames.delete(event.id);
  }
  for (const listener of listeners) listener(event);
}

function downloadWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL("../workers/download/download.worker.ts", import.meta.url), { type: "module", name: "dockerdl-download" });
    worker.addEventListener("message", (message: MessageEvent<Event>) => dispatch(message.data));
  }
  return worker;
}

export function onJobEvent(listener: Listener): () => void {
  listeners.add(listener);
  if (!channel && "BroadcastChannel" in window) {
    channel = new BroadcastChannel(PROGRESS_CHANNEL);
    channel.addEventListener("message", (message: MessageEvent<Event>) => dispatch(message.data));
  }
  return () => listeners.delete(listener);
}

function ask<T>(request: Extract<Request, { id: string }>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    waiting.set(request.id, { resolve: resolve as (value: unknown) => void, reject });
    downloadWorker().postMessage(request);
  });
}

export const newId = (): string => crypto.randomUUID();

export function overview(reference: string, credentials?: Credentials): Promise<ImageOverview> {
  return ask({ kind: "overview", id: newId(), reference, credentials });
}

export function resolveImage(reference: string, platform: Platform | undefined, credentials?: Credentials): Promise<ImageSummary> {
  return ask({ kind: "resolve", id: newId(), reference, platform, credentials });
}

export function listTags(reference: string, credentials?: Credentials): Promise<string[]> {
  return ask({ kind: "tags", id: newId(), reference, credentials });
}

export function startFileDownload(job: StartJob, handle: FileSystemFileHandle, resume: boolean): void {
  downloadWorker().postMessage({ kind: "start", job, handle, resume } satisfies Request);
}

export function controlFileDownload(id: string, action: "pause" | "cancel"): void {
  downloadWorker().postMessage({ kind: action, id } satisfies Request);
}

export const canPickFile = (): boolean => typeof window.showSaveFilePicker === "function";
export const canStream = (): boolean => "serviceWorker" in navigator;

/** Hands the job to the service worker, then starts the browser download with a hidden iframe. */
export async function startStreamDownload(job: StartJob): Promise<void> {
  // `ready` never settles when registration failed: give up after a while instead.
  const registration = await Promise.race([navigator.serviceWorker.ready, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000))]);
  const sw = navigator.serviceWorker.controller ?? registration?.active;
  if (!sw) throw new DockerdlError("NO_SERVICE_WORKER", "");
  await new Promise<void>((resolve) => {
    const ready = (message: MessageEvent<{ kind?: string; id?: string }>) => {
      if (message.data?.kind !== "stream-ready" || message.data.id !== job.id) return;
      navigator.serviceWorker.removeEventListener("message", ready);
      resolve();
    };
    navigator.serviceWorker.addEventListener("message", ready);
    sw.postMessage({ kind: "prepare-stream", job } satisfies ServiceWorkerRequest);
  });
  const frame = document.createElement("iframe");
  frame.hidden = true;
  frame.title = "download";
  frame.src = `${STREAM_PATH}${encodeURIComponent(job.id)}`;
  document.body.append(frame);
  frames.set(job.id, frame);
}

export function controlStreamDownload(id: string, action: "pause" | "resume" | "cancel" | "keepalive"): void {
  const sw = navigator.serviceWorker.controller;
  if (!sw) return;
  sw.postMessage((action === "keepalive" ? { kind: "keepalive" } : { kind: action, id }) satisfies ServiceWorkerRequest);
}
