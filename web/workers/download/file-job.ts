// A File System Access download as a job: resolve the image or bundle (pinned to the
// digests the person saw; job-target.ts), run the engine into the picked file, keep its
// resumable state and the saved file's layer map in IndexedDB at each commit, and report
// status and progress.
// A job runs until it is done, fails, or is paused or cancelled by id.

import type { EngineState, Progress } from "../../../shared/engine/index.ts";
import { isDockerdlError } from "../../../shared/errors.ts";
import { blobSegments } from "../../../shared/tar.ts";
import { addHistory, deleteJob, deleteSavedFile, loadJob, recordSavedFile, saveJob, type SavedFile } from "../../lib/db.ts";
import { errorInfoOf } from "../../lib/errors.ts";
import { progressEvent, type JobEvent, type StartJob } from "../../lib/protocol.ts";
import { downloadToFile } from "./file-download.ts";
import { resolveTarget, type JobTarget } from "./job-target.ts";

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
  let closeSources = () => {};
  try {
    const saved = resume ? await loadJob(job.id) : undefined;
    const target = await resolveTarget(job, saved, controller.signal, (event) => report({ kind: "source", id: job.id, event }));
    const { plan } = target;
    closeSources = () => target.multi?.close();
    report({ kind: "status", id: job.id, status: "running", ...target.report });
    let done = 0;
    const progress = (p: Progress) => {
      done = p.doneBytes;
      report({ ...progressEvent(job.id, p), ...(target.multi ? { sources: target.multi.stats() } : {}) });
    };
    // A saved state for another plan (the file changed size) is not resumable: start afresh.
    const resumeState = saved && saved.totalSize === plan.totalSize ? saved.state : undefined;
    await downloadToFile({
      plan, source: target.source, ...(target.multi ? { connections: target.multi.connections } : {}), handle, signal: controller.signal, onProgress: progress,
      ...(resumeState ? { resume: resumeState } : {}),
      onCommit: async (state) => {
        await saveJob({
          id: job.id, ...target.stored, fileName: handle.name, totalSize: plan.totalSize, doneBytes: done, handle,
          updatedAt: Date.now(), ...(state ? { state } : {}),
        });
        await recordSavedFile(savedFile(job.id, target, handle, state)).catch(() => {});
      },
    });
    await recordSavedFile(savedFile(job.id, target, handle, "complete")).catch(() => {});
    await deleteJob(job.id);
    await addHistory({ id: job.id, ...target.history, size: plan.totalSize, fileName: handle.name, finishedAt: Date.now(), via: "file" });
    report({ kind: "status", id: job.id, status: "done", ...target.report });
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
    closeSources();
    running.delete(job.id);
  }
}

/**
 * Where each layer sits in the saved file, for the explorer: every layer the committed
 * state has verified (all of them once the download is complete).
 */
function savedFile(id: string, { plan, saved }: JobTarget, handle: FileSystemFileHandle, state: EngineState | "complete" | undefined): SavedFile {
  const layers = blobSegments(plan).map((s) => ({ digest: s.key, offset: s.offset, size: s.size }));
  const complete = state === "complete";
  const verified = complete ? layers.map((l) => l.digest) : layers.filter((l) => state?.blobs[l.digest]?.verified).map((l) => l.digest);
  return {
    id, fileName: handle.name, handle, ...saved,
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
