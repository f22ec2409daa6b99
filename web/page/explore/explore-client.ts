// The page's side of the explore worker: requests with promised answers and progress,
// and the three ways a save reaches the person's disk: a Blob URL (small things), a
// file picked with showSaveFilePicker (Chromium), or the service worker's streamed
// download fed through a MessagePort (Firefox, Safari).
import type { Credentials, ImageOverview } from "../../lib/image-lookup.ts";
import type { Platform } from "../../../shared/platform.ts";
import { DockerdlError } from "../../../shared/errors.ts";
import { errorFromInfo } from "../../lib/errors.ts";
import type {
  ExploreEvent, ExploreProgress, ExploreRequest, NodeView, OpenedImage, SaveResult, SaveTarget, SaveWhat, SearchResult,
} from "../../workers/explore/protocol.ts";
import { EXPORT_STREAM_PATH, contentTypeOf, type PortStreamPrepare } from "../../lib/export-stream.ts";
import { canPickFile, newId } from "../engine-client.ts";

export { newId };

let worker: Worker | undefined;
const waiting = new Map<string, { resolve(value: unknown): void; reject(error: unknown): void; progress?: (p: ExploreProgress) => void }>();

function exploreWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL("../../workers/explore/explore.worker.ts", import.meta.url), { type: "module", name: "dockerdl-explore" });
    worker.addEventListener("message", (message: MessageEvent<ExploreEvent>) => {
      const event = message.data;
      const pending = waiting.get(event.id);
      if (event.kind === "progress") {
        pending?.progress?.(event);
        return;
      }
      waiting.delete(event.id);
      if (event.ok) pending?.resolve(event.value);
      else pending?.reject(errorFromInfo(event.error));
    });
  }
  return worker;
}

function ask<T>(request: Exclude<ExploreRequest, { kind: "cancel" }>, progress?: (p: ExploreProgress) => void, transfer: Transferable[] = []): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    waiting.set(request.id, { resolve: resolve as (value: unknown) => void, reject, ...(progress ? { progress } : {}) });
    exploreWorker().postMessage(request, transfer);
  });
}

export function cancel(id: string): void {
  exploreWorker().postMessage({ kind: "cancel", id } satisfies ExploreRequest);
}

export const overview = (reference: string, credentials?: Credentials): Promise<ImageOverview> =>
  ask({ kind: "overview", id: newId(), reference, ...(credentials ? { credentials } : {}) });

export function openImage(id: string, reference: string, platform: Platform | undefined, credentials: Credentials | undefined, progress: (p: ExploreProgress) => void): Promise<OpenedImage> {
  return ask({ kind: "open", id, reference, ...(platform ? { platform } : {}), ...(credentials ? { credentials } : {}) }, progress);
}

export const children = (path: string): Promise<NodeView[]> => ask({ kind: "children", id: newId(), path });

export const search = (query: string, limit = 500): Promise<SearchResult> => ask({ kind: "search", id: newId(), query, limit });

/** Files and folders up to this size are handed over as a Blob: no picker, no stream. */
const SMALL = 32 << 20;

export type SaveVia = "blob" | "file" | "stream";

export function chooseVia(size: number, forceDisk: boolean): SaveVia {
  if (!forceDisk && size <= SMALL) return "blob";
  return canPickFile() ? "file" : "stream";
}

const ACCEPT: Record<SaveWhat["kind"], { description: string; accept: Record<string, string[]> } | undefined> = {
  zip: { description: "ZIP archive", accept: { "application/zip": [".zip"] } },
  tar: { description: "Tar archive", accept: { "application/x-tar": [".tar"] } },
  file: undefined,
};

/**
 * Runs one save. The picker (when `via` is "file") is opened first, so it still counts
 * as the click's user gesture. Resolves when the bytes are all written.
 */
export async function save(id: string, what: SaveWhat, fileName: string, via: SaveVia, progress: (p: ExploreProgress) => void): Promise<SaveResult> {
  const contentType = contentTypeOf(what.kind);
  if (via === "blob") {
    const result = await ask<SaveResult>({ kind: "save", id, what, target: { kind: "blob" } }, progress);
    if (result.blob) downloadBlob(result.blob, fileName);
    return result;
  }
  if (via === "file") {
    const types = ACCEPT[what.kind];
    const handle = await window.showSaveFilePicker!({ suggestedName: fileName, id: "dockerdl-explore", ...(types ? { types: [types] } : {}) });
    const target: SaveTarget = { kind: "handle", handle };
    return ask<SaveResult>({ kind: "save", id, what, target }, progress);
  }
  const sw = await serviceWorker();
  const channel = new MessageChannel();
  await new Promise<void>((resolve) => {
    const ready = (message: MessageEvent<{ kind?: string; id?: string }>) => {
      if (message.data?.kind !== "stream-ready" || message.data.id !== id) return;
      navigator.serviceWorker.removeEventListener("message", ready);
      resolve();
    };
    navigator.serviceWorker.addEventListener("message", ready);
    sw.postMessage({ kind: "prepare-port-stream", id, fileName, contentType } satisfies PortStreamPrepare, [channel.port1]);
  });
  const result = ask<SaveResult>({ kind: "save", id, what, target: { kind: "port", port: channel.port2 } }, progress, [channel.port2]);
  const frame = document.createElement("iframe");
  frame.hidden = true;
  frame.title = "download";
  frame.src = `${EXPORT_STREAM_PATH}${encodeURIComponent(id)}`;
  document.body.append(frame);
  // A message now and then keeps the service worker alive while it streams.
  const keepalive = setInterval(() => navigator.serviceWorker.controller?.postMessage({ kind: "keepalive" }), 10_000);
  try {
    return await result;
  } finally {
    clearInterval(keepalive);
    setTimeout(() => frame.remove(), 5000);
  }
}

async function serviceWorker(): Promise<ServiceWorker> {
  const registration = "serviceWorker" in navigator
    ? await Promise.race([navigator.serviceWorker.ready, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5000))])
    : undefined;
  const sw = navigator.serviceWorker?.controller ?? registration?.active;
  if (!sw) throw new DockerdlError("NO_SERVICE_WORKER", "");
  return sw;
}

function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
