// A File System Access download as a job: resolve the image (pinned to the digest the
// person saw), run the engine into the picked file, keep its resumable state and the
// saved file's layer map in IndexedDB at each commit, and report status and progress.
// A job runs until it is done, fails, or is paused or cancelled by id.

import type { EngineState, Progress } from "../../../shared/engine/index.ts";
import { isDockerdlError } from "../../../shared/errors.ts";
import { parseReference } from "../../../shared/reference.ts";
import type { ResolvedImage } from "../../../shared/registry/client.ts";
import { blobSegments, type TarPlan } from "../../../shared/tar.ts";
import { addHistory, deleteJob, deleteSavedFile, loadJob, recordSavedFile, saveJob, type SavedFile } from "../../lib/db.ts";
import { errorInfoOf } from "../../lib/errors.ts";
import { planOf, proxyClient, resolvePinned, summarize, topDigest } from "../../lib/image-lookup.ts";
import { progressEvent, type JobEvent, type StartJob } from "../../lib/protocol.ts";
import { downloadToFile } from "./file-download.ts";

type Report = (event: JobEvent) => void;

const running = new Map<string, AbortController>();

export function pauseJob(id: string): void {
  running.get(id)?.abort("pause");
}

export async function cancelJob(id: string, report: Report): Promise<void> {
  const job = running.get(id);
  if (job) return job.abort("cancel");
  await forget(id);
  report({ kind: "status", id, status: "cancelled" });
}

export async function runJob(job: StartJob, handle: FileSystemFileHandle, resume: boolean, report: Report): Promise<void> {
  const controller = new AbortController();
  running.set(job.id, controller);
  report({ kind: "status", id: job.id, status: "starting" });
  try {
    const saved = resume ? await loadJob(job.id) : undefined;
    const client = proxyClient(job.credentials);
    const ref = parseReference(job.reference);
    const image = await resolvePinned(client, ref, job.platform, saved?.pinnedDigest ?? job.pinnedDigest, controller.signal);
    const plan = planOf(image);
    const summary = summarize(image, plan);
    report({ kind: "status", id: job.id, status: "running", summary });
    let done = 0;
    const progress = (p: Progress) => {
      done = p.doneBytes;
      report(progressEvent(job.id, p));
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
    report({ kind: "status", id: job.id, status: "done", summary });
  } catch (error) {
    const reason: unknown = controller.signal.reason;
    if (controller.signal.aborted && reason === "cancel") {
      await forget(job.id, handle);
      report({ kind: "status", id: job.id, status: "cancelled" });
    } else if (controller.signal.aborted) {
      report({ kind: "status", id: job.id, status: "paused" });
    } else {
      // A layer that stays corrupt cannot be resumed from its partial bytes: start afresh next time.
      if (isDockerdlError(error, "DIGEST_MISMATCH")) await deleteJob(job.id);
      report({ kind: "status", id: job.id, status: "failed", error: errorInfoOf(error) });
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
