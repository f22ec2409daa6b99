// The dedicated worker that does the heavy work off the page's main thread: looking
// images up through the proxy, and the File System Access download (parallel fetches,
// hashing, positioned writes). This file only wires messages to those modules.

import type { EngineState, Progress } from "../../../shared/engine/index.ts";
import { isDockerdlError } from "../../../shared/errors.ts";
import { parseReference } from "../../../shared/reference.ts";
import type { ResolvedImage } from "../../../shared/registry.ts";
import { blobSegments, type TarPlan } from "../../../shared/tar.ts";
import { addHistory, deleteJob, deleteSavedFile, loadJob, recordSavedFile, saveJob, type SavedFile } from "../../lib/db.ts";
import { lookUp, planOf, proxyClient, resolvePinned, summarize, topDigest } from "../../lib/image-lookup.ts";
import { errorInfoOf } from "../../lib/errors.ts";
import { progressEvent, type Event, type Request, type StartJob } from "../../lib/protocol.ts";
import { listTags } from "../../lib/tags.ts";
import { downloadToFile } from "./file-download.ts";

declare const self: DedicatedWorkerGlobalScope;

const running = new Map<string, AbortController>();
const post = (event: Event) => self.postMessage(event);

self.addEventListener("message", (message: MessageEvent<Request>) => {
  const request = message.data;
  switch (request.kind) {
    case "overview":
    case "resolve":
    case "tags":
      void answer(request.id, () => query(request));
      break;
    case "start":
      void start(request.job, request.handle, request.resume);
      break;
    case "pause":
    case "cancel":
      if (running.has(request.id)) running.get(request.id)?.abort(request.kind);
      else if (request.kind === "cancel") void forget(request.id).then(() => post({ kind: "status", id: request.id, status: "cancelled" }));
      break;
  }
});

async function answer(id: string, work: () => Promise<unknown>): Promise<void> {
  try {
    post({ kind: "result", id, ok: true, value: await work() });
  } catch (error) {
    post({ kind: "result", id, ok: false, error: errorInfoOf(error) });
  }
}

async function query(request: Extract<Request, { kind: "overview" | "resolve" | "tags" }>): Promise<unknown> {
  const client = proxyClient(request.credentials);
  const ref = parseReference(request.reference);
  if (request.kind === "overview") return lookUp(client, ref);
  if (request.kind === "tags") return listTags(ref, request.credentials);
  const image = await client.resolveImage(ref, request.platform);
  return summarize(image, planOf(image));
}

async function start(job: StartJob, handle: FileSystemFileHandle, resume: boolean): Promise<void> {
  const controller = new AbortController();
  running.set(job.id, controller);
  post({ kind: "status", id: job.id, status: "starting" });
  try {
    const saved = resume ? await loadJob(job.id) : undefined;
    const client = proxyClient(job.credentials);
    const ref = parseReference(job.reference);
    const image = await resolvePinned(client, ref, job.platform, saved?.pinnedDigest ?? job.pinnedDigest, controller.signal);
    const plan = planOf(image);
    const summary = summarize(image, plan);
    post({ kind: "status", id: job.id, status: "running", summary });
    let done = 0;
    const progress = (p: Progress) => {
      done = p.doneBytes;
      post(progressEvent(job.id, p));
    };
    // A saved state for another plan (the file changed size) is not resumable: start afresh.
    const resumeState = saved && saved.totalSize === plan.totalSize ? saved.state : undefined;
    await downloadToFile({
      client, image, plan, handle, signal: controller.signal, onProgress: progress,
      ...(resumeState ? { resume: resumeState } : {}),
      onCommit: async (state) => {
        await saveJob({
          id: job.id, reference: summary.reference, platform: image.platform, pinnedDigest: topDigest(image),
          fileName: handle.name, totalSize: plan.totalSize, doneBytes: done, handle, registry: ref.registry,
          updatedAt: Date.now(), ...(state ? { state } : {}),
        });
        await recordSavedFile(savedFile(job.id, summary.reference, image, plan, handle, state)).catch(() => {});
      },
    });
    await recordSavedFile(savedFile(job.id, summary.reference, image, plan, handle, "complete")).catch(() => {});
    await deleteJob(job.id);
    await addHistory({
      id: job.id, reference: summary.reference, platform: image.platform, digest: summary.digest,
      size: plan.totalSize, fileName: handle.name, finishedAt: Date.now(), via: "file",
    });
    post({ kind: "status", id: job.id, status: "done", summary });
  } catch (error) {
    const reason: unknown = controller.signal.reason;
    if (controller.signal.aborted && reason === "cancel") {
      await forget(job.id, handle);
      post({ kind: "status", id: job.id, status: "cancelled" });
    } else if (controller.signal.aborted) {
      post({ kind: "status", id: job.id, status: "paused" });
    } else {
      // A layer that stays corrupt cannot be resumed from its partial bytes: start afresh next time.
      if (isDockerdlError(error, "DIGEST_MISMATCH")) await deleteJob(job.id);
      post({ kind: "status", id: job.id, status: "failed", error: errorInfoOf(error) });
    }
  } finally {
    running.delete(job.id);
  }
}

/**
 * Where each layer sits in the saved file, for the explorer: every layer the committed
 * state has verified (all of them once the download is complete).
 */
function savedFile(id: string, reference: string, image: ResolvedImage, plan: TarPlan, handle: FileSystemFileHandle, state: EngineState | "complete" | undefined): SavedFile {
  const layers = blobSegments(plan).map((s) => ({ digest: s.key, offset: s.offset, size: s.size }));
  const complete = state === "complete";
  const verified = complete ? layers.map((l) => l.digest) : layers.filter((l) => state?.blobs[l.digest]?.verified).map((l) => l.digest);
  return {
    id, fileName: handle.name, handle, reference, platform: image.platform, manifestDigest: image.manifest.digest,
    totalSize: plan.totalSize, layers, verified, complete, updatedAt: Date.now(),
  };
}

/** Cancel: the unfinished job is dropped and its partial file removed where the browser allows. */
async function forget(id: string, handle?: FileSystemFileHandle): Promise<void> {
  const saved = await loadJob(id);
  await deleteJob(id);
  await deleteSavedFile(id).catch(() => {});
  const file = (handle ?? saved?.handle) as (FileSystemFileHandle & { remove?: () => Promise<void> }) | undefined;
  await file?.remove?.().catch(() => {});
}
