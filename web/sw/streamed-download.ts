// The streamed download for browsers without showSaveFilePicker (Firefox, Safari): the
// page hands the job over, then navigates a hidden iframe to STREAM_PATH + id (an
// <a download> would bypass the service worker). This worker resolves the image, plans
// the tar and answers with it as a stream with an exact Content-Length, filled by the
// shared engine through its sequential sink (parallel fetches, verified in order), from
// the own Worker and the extra sources in settings (lib/extra-sources.ts). Progress, with
// each source's figures and events, goes to the page over a BroadcastChannel.

import { createSHA256 } from "hash-wasm";
import { downloadArchive, registryBlobSource, type Progress } from "../../shared/engine/index.ts";
import { DockerdlError, isDockerdlError } from "../../shared/errors.ts";
import { parseReference } from "../../shared/reference.ts";
import { addHistory } from "../lib/db.ts";
import { errorInfoOf } from "../lib/errors.ts";
import { jobSources } from "../lib/extra-sources.ts";
import { planOf, proxyClient, resolvePinned, summarize } from "../lib/image-lookup.ts";
import { PROGRESS_CHANNEL, STREAM_PATH, progressEvent, type JobEvent, type StartJob } from "../lib/protocol.ts";

/** Requests at once to each source (the browser's limit is per host). */
const CONNECTIONS = 5;
/** How long the sources are asked who sent a corrupt layer's wrong bytes, before the job is told it failed. */
const INVESTIGATION_MS = 60_000;

interface Control {
  controller: AbortController;
  paused: boolean;
  wake?: () => void;
}

const prepared = new Map<string, StartJob>();
const controls = new Map<string, Control>();
let channel: BroadcastChannel | undefined;
const broadcast = (event: JobEvent) => (channel ??= new BroadcastChannel(PROGRESS_CHANNEL)).postMessage(event);

export function prepareStream(job: StartJob): void {
  // A bundle's images are resolved, planned and resumed by the File System Access path
  // only; the page offers bundles through it alone, so this is a caller's mistake.
  if (job.bundle) {
    throw new DockerdlError("BUNDLE_NEEDS_FILE", "a bundle of several images is saved only into a file you choose (File System Access), not as a browser download", {
      hint: "use a Chromium-based browser (Chrome, Edge), or the dockerdl CLI: dockerdl pull A B -o bundle.tar",
    });
  }
  prepared.set(job.id, job);
}

export function controlStream(id: string, action: "pause" | "resume" | "cancel"): void {
  const control = controls.get(id);
  if (!control) return;
  if (action === "cancel") control.controller.abort("cancel");
  control.paused = action === "pause";
  if (action !== "pause") control.wake?.();
  if (action !== "cancel") broadcast({ kind: "status", id, status: action === "pause" ? "paused" : "running" });
}

export function streamJobId(url: URL): string | undefined {
  return url.pathname.startsWith(STREAM_PATH) ? decodeURIComponent(url.pathname.slice(STREAM_PATH.length)) : undefined;
}

export async function streamResponse(id: string): Promise<Response> {
  const job = prepared.get(id);
  prepared.delete(id);
  // No such job (an old link, or the worker restarted): nothing to download, and the
  // iframe that asked stays blank rather than showing an error page.
  if (!job) return new Response(null, { status: 204 });
  const control: Control = { controller: new AbortController(), paused: false };
  controls.set(id, control);
  const { signal } = control.controller;
  try {
    const client = proxyClient(job.credentials);
    const ref = parseReference(job.reference);
    const image = await resolvePinned(client, ref, job.platform, job.pinnedDigest, signal);
    const plan = planOf(image);
    const summary = summarize(image, plan);
    broadcast({ kind: "status", id, status: "running", summary });
    // Credentials stay with the own Worker: a signed-in download uses it alone.
    const { source, multi } = jobSources(registryBlobSource(client, image), {
      extra: job.sources, anonymous: job.credentials?.username ? [] : [image], connections: CONNECTIONS, createHasher: createSHA256,
      onEvent: (event) => broadcast({ kind: "source", id, event }),
    });

    // The engine's writes resolve only when the browser has taken the bytes: that is the
    // backpressure that keeps memory bounded whatever the image's size.
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const waitWhilePaused = async () => {
      while (control.paused && !signal.aborted) await new Promise<void>((resolve) => (control.wake = resolve));
    };
    const progress = (p: Progress) => broadcast({ ...progressEvent(id, p, control.paused ? 0 : p.bytesPerSecond), ...(multi ? { sources: multi.stats() } : {}) });
    downloadArchive({
      plan,
      source,
      sink: {
        kind: "sequential",
        write: async (bytes) => {
          await waitWhilePaused();
          await writer.write(bytes);
        },
      },
      createHasher: createSHA256,
      connections: multi?.connections ?? CONNECTIONS,
      onProgress: progress,
      signal,
    }).finally(() => multi?.close()).then(
      async () => {
        await writer.close();
        controls.delete(id);
        await addHistory({
          id, reference: summary.reference, platform: image.platform, digest: summary.digest,
          size: plan.totalSize, fileName: summary.fileName, finishedAt: Date.now(), via: "stream",
        });
        broadcast({ kind: "status", id, status: "done", summary });
      },
      async (error: unknown) => {
        // An errored body tells the browser the download failed, so no truncated file looks complete.
        await writer.abort(error).catch(() => {});
        // A stream cannot take a corrupt layer back, so the engine stops rather than refetching
        // it; with several sources, still find who sent the wrong bytes, for the card to name.
        const corrupt = multi && isDockerdlError(error, "DIGEST_MISMATCH") ? error.params?.digest : undefined;
        if (corrupt !== undefined) await multi?.corrupt(corrupt, { signal: AbortSignal.timeout(INVESTIGATION_MS) }).catch(() => undefined);
        fail(id, control, error);
      },
    );
    return new Response(readable as ReadableStream<Uint8Array<ArrayBuffer>>, {
      headers: {
        "content-type": "application/x-tar",
        "content-length": String(plan.totalSize),
        "content-disposition": `attachment; filename="${summary.fileName}"; filename*=UTF-8''${encodeURIComponent(summary.fileName)}`,
        "cache-control": "no-store",
      },
    });
  } catch (error) {
    fail(id, control, error);
    return new Response(null, { status: 204 });
  }
}

function fail(id: string, control: Control, error: unknown): void {
  controls.delete(id);
  const cancelled = control.controller.signal.reason === "cancel";
  broadcast({ kind: "status", id, status: cancelled ? "cancelled" : "failed", ...(cancelled ? {} : { error: errorInfoOf(error) }) });
}
