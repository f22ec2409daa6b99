// The download form's downloads: start one for the summary shown (into a picked file
// through the download worker, or as the browser's download through the service
// worker) or a bundle (into a picked file), pause, resume, cancel and dismiss this page's, and the stored ones:
// unfinished downloads to resume or discard, and the history of finished ones.
import { useEffect, useState } from "preact/hooks";
import { isDockerdlError } from "../../../shared/errors.ts";
import { deleteHistory, deleteJob, listHistory, listJobs, rememberedCredentials, type HistoryEntry, type UnfinishedJob } from "../../lib/db.ts";
import { errorInfoOf, type ErrorInfo } from "../../lib/errors.ts";
import type { BundleImage, BundleSummary, ImageSummary, StartJob } from "../../lib/protocol.ts";
import { canPickFile } from "../browser-download.ts";
import type { Via } from "../components/SaveVia.tsx";
import { ensurePermission } from "../file-permission.ts";
import { useI18n } from "../i18n/context.ts";
import type { ImageLookup } from "../image-form/use-image-lookup.ts";
import { keepAwake } from "../sw-client.ts";
import { controlFileDownload, controlStreamDownload, startFileDownload, startStreamDownload } from "./download-client.ts";
import { spaceFor, type Space } from "./disk-space.ts";
import { loadSources } from "./sources/source-urls.ts";
import { useJobs, type JobView } from "./use-jobs.ts";

export type { Via };

export function useDownloads({ credentials, registry, rememberIfAsked }: ImageLookup) {
  const { t } = useI18n();
  const [jobs, addJob, updateJob, removeJob] = useJobs();
  const [unfinished, setUnfinished] = useState<UnfinishedJob[]>([]);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [error, setError] = useState<ErrorInfo>();
  // From the click until the job is registered (a file picked, the job's card added):
  // the Download button says so, rather than nothing happening while the picker opens.
  const [starting, setStarting] = useState(false);
  const whileStarting = <A extends unknown[]>(start: (...args: A) => Promise<void>) => async (...args: A) => {
    setStarting(true);
    try {
      await start(...args);
    } finally {
      setStarting(false);
    }
  };

  // Stored downloads: refreshed whenever a job of this page changes status.
  const statuses = jobs.map((j) => `${j.id}:${j.status}`).join();
  useEffect(() => {
    const shown = new Set(jobs.map((j) => j.id));
    void listJobs().then((all) => setUnfinished(all.filter((j) => !shown.has(j.id)))).catch(() => {});
    void listHistory().then(setHistory).catch(() => {});
  }, [statuses]);

  // A streamed download lives in the service worker; messages keep it awake.
  const streaming = jobs.some((j) => j.via === "stream" && (j.status === "running" || j.status === "paused"));
  useEffect(() => {
    if (streaming) return keepAwake();
  }, [streaming]);

  const download = whileStarting(async (summary: ImageSummary, via: Via) => {
    setError(undefined);
    rememberIfAsked();
    const job: StartJob = { id: crypto.randomUUID(), reference: summary.reference, platform: summary.platform, credentials, pinnedDigest: summary.topDigest, ...extraSources() };
    const view: JobView = {
      id: job.id, via, reference: summary.reference, status: "starting", summary, done: 0, total: summary.totalSize,
      layers: [], speed: 0, credentials,
    };
    if (via === "file" && canPickFile()) {
      const picked = await pickFile(summary.fileName, summary.totalSize);
      if (!picked) return;
      addJob({ ...view, ...picked });
      startFileDownload(job, picked.handle, false);
    } else {
      addJob({ ...view, via: "stream" });
      try {
        await startStreamDownload(job);
      } catch (failure) {
        removeJob(job.id);
        setError(isDockerdlError(failure, "NO_SERVICE_WORKER") ? { code: failure.code, message: t("error.noServiceWorker") } : errorInfoOf(failure));
      }
    }
  });

  /** A bundle goes into a picked file only (the streamed path takes single images). */
  const downloadBundle = whileStarting(async (bundle: BundleSummary, fileName: string) => {
    setError(undefined);
    const picked = await pickFile(fileName, bundle.totalSize);
    if (!picked) return;
    const reference = bundleLabel(bundle);
    const job: StartJob = { id: crypto.randomUUID(), reference, bundle: { images: bundle.images.map(bundleImage) }, ...extraSources() };
    addJob({ id: job.id, via: "file", reference, status: "starting", bundle, done: 0, total: bundle.totalSize, layers: [], speed: 0, ...picked });
    startFileDownload(job, picked.handle, false);
  });

  /** The picked file and the room the browser reports for it, or undefined (and why) when none was picked. */
  const pickFile = async (suggestedName: string, size: number): Promise<{ handle: FileSystemFileHandle; space: Space } | undefined> => {
    let handle: FileSystemFileHandle;
    try {
      handle = await window.showSaveFilePicker!({
        suggestedName,
        id: "dockerdl",
        types: [{ description: "Docker / OCI image archive", accept: { "application/x-tar": [".tar"] } }],
      });
    } catch (failure) {
      if (failure instanceof DOMException && failure.name === "AbortError") setError({ code: "CANCELLED", message: t("error.pickerCancelled") });
      else setError(errorInfoOf(failure));
      return undefined;
    }
    // Shown, never a reason to refuse: browsers report less room than there is
    // (disk-space.ts); a disk that really fills stops the download, resumable.
    return { handle, space: await spaceFor(handle, size) };
  };

  const pause = (job: JobView) => (job.via === "file" ? controlFileDownload(job.id, "pause") : controlStreamDownload(job.id, "pause"));
  const cancel = (job: JobView) => (job.via === "file" ? controlFileDownload(job.id, "cancel") : controlStreamDownload(job.id, "cancel"));

  const resume = (job: JobView) => {
    if (job.via === "stream") return controlStreamDownload(job.id, "resume");
    if (!job.handle || !(job.summary || job.bundle)) return;
    updateJob(job.id, { status: "starting", error: undefined });
    const what = job.bundle
      ? { bundle: { images: job.bundle.images.map(bundleImage) }, ...extraSources() }
      : { platform: job.summary!.platform, credentials: job.credentials, pinnedDigest: job.summary!.topDigest, ...extraSources() };
    startFileDownload({ id: job.id, reference: job.reference, ...what }, job.handle, true);
  };

  const resumeStored = async (stored: UnfinishedJob) => {
    setError(undefined);
    const handle = stored.handle;
    if ((await ensurePermission(handle, "readwrite")) !== "granted") {
      setError({ code: "PERMISSION", message: t("error.permission") });
      return;
    }
    const saved = (await rememberedCredentials(stored.registry)) ?? (registry === stored.registry ? credentials : undefined);
    addJob({
      id: stored.id, via: "file", reference: stored.reference, status: "starting", done: stored.doneBytes, total: stored.totalSize,
      layers: [], speed: 0, handle, credentials: saved,
    });
    setUnfinished((list) => list.filter((j) => j.id !== stored.id));
    const what = stored.bundle ? { bundle: { images: stored.bundle }, ...extraSources() } : { platform: stored.platform, credentials: saved, pinnedDigest: stored.pinnedDigest, ...extraSources() };
    startFileDownload({ id: stored.id, reference: stored.reference, ...what }, handle, true);
  };

  const discardStored = async (stored: UnfinishedJob) => {
    await deleteJob(stored.id);
    await (stored.handle as FileSystemFileHandle & { remove?: () => Promise<void> }).remove?.().catch(() => {});
    setUnfinished((list) => list.filter((j) => j.id !== stored.id));
  };

  const forgetFinished = (entry: HistoryEntry) => void deleteHistory(entry.id).then(() => setHistory((h) => h.filter((x) => x.id !== entry.id)));

  return {
    jobs, unfinished, history, error, starting,
    download, downloadBundle, pause, resume, cancel, dismiss: (job: JobView) => removeJob(job.id), resumeStored, discardStored, forgetFinished,
  };
}

/** The extra sources in settings now (a resume uses the list as it is then); none: the job as before. */
function extraSources(): Pick<StartJob, "sources"> {
  const sources = loadSources();
  return sources.length > 0 ? { sources } : {};
}

/** A bundle's title: its images' names, unchanged, as the worker records it. */
function bundleLabel(bundle: BundleSummary): string {
  return bundle.images.map((i) => i.reference).join(", ");
}

function bundleImage(summary: ImageSummary): BundleImage {
  return { reference: summary.reference, platform: summary.platform, pinnedDigest: summary.topDigest };
}
