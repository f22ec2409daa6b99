// The page's side of the explore worker (lib/rpc.ts), started on first use, with each
// long call (opening, saving) stoppable by its id; and the three ways a save reaches the
// person's disk: a Blob (small things), a file picked with showSaveFilePicker
// (Chromium), or the service worker's streamed download fed through a MessagePort
// (Firefox, Safari).
import { EXPORT_STREAM_PATH, contentTypeOf } from "../../lib/export-stream.ts";
import type { ImageQuery } from "../../lib/protocol.ts";
import { remoteWorker } from "../../lib/rpc.ts";
import type { Platform } from "../../../shared/platform.ts";
import type { ExploreServices } from "../../workers/explore/services.ts";
import type { ExploreProgress, OpenedImage, SaveResult, SaveWhat } from "../../workers/explore/types.ts";
import { canPickFile, downloadBlob, downloadThroughFrame } from "../browser-download.ts";
import { keepAwake, serviceWorker } from "../sw-client.ts";

/** The explore worker's calls, typed from its handlers. */
export const explorer = remoteWorker<ExploreServices>(
  () => new Worker(new URL("../../workers/explore/explore.worker.ts", import.meta.url), { type: "module", name: "dockerdl-explore" }),
);

const running = new Map<string, AbortController>();

function stoppable<T>(id: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  running.set(id, controller);
  return work(controller.signal).finally(() => running.delete(id));
}

/** Stops an opening or a save; it then fails with CANCELLED. */
export function cancel(id: string): void {
  running.get(id)?.abort();
}

export function openImage(id: string, query: ImageQuery & { platform?: Platform | undefined }, progress: (p: ExploreProgress) => void): Promise<OpenedImage> {
  return stoppable(id, (signal) => explorer.open(query, { signal, onProgress: progress }));
}

/** Files and folders up to this size are handed over as a Blob: no picker, no stream. */
const SMALL = 32 << 20;

export type SaveMethod = "blob" | "file" | "stream";

/** Small saves go as a Blob; others as the person chose, or by a stream where no file can be picked. */
export function chooseVia(size: number, forceDisk: boolean, preferred: "file" | "stream" = "file"): SaveMethod {
  if (!forceDisk && size <= SMALL) return "blob";
  return canPickFile() && preferred === "file" ? "file" : "stream";
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
export async function save(id: string, what: SaveWhat, fileName: string, via: SaveMethod, progress: (p: ExploreProgress) => void): Promise<SaveResult> {
  if (via === "blob") {
    const result = await stoppable(id, (signal) => explorer.save({ what, target: { kind: "blob" } }, { signal, onProgress: progress }));
    if (result.blob) downloadBlob(result.blob, fileName);
    return result;
  }
  if (via === "file") {
    const types = ACCEPT[what.kind];
    const handle = await window.showSaveFilePicker!({ suggestedName: fileName, id: "dockerdl-explore", ...(types ? { types: [types] } : {}) });
    return stoppable(id, (signal) => explorer.save({ what, target: { kind: "handle", handle } }, { signal, onProgress: progress }));
  }
  const { port1, port2 } = new MessageChannel();
  await serviceWorker.preparePortStream({ id, fileName, contentType: contentTypeOf(what.kind), port: port1 }, { transfer: [port1] });
  const result = stoppable(id, (signal) => explorer.save({ what, target: { kind: "port", port: port2 } }, { signal, onProgress: progress, transfer: [port2] }));
  const frame = downloadThroughFrame(`${EXPORT_STREAM_PATH}${encodeURIComponent(id)}`);
  const stop = keepAwake();
  try {
    return await result;
  } finally {
    stop();
    setTimeout(() => frame.remove(), 5000);
  }
}
