// The messages between the page and the code that does the work: the dedicated
// download worker (File System Access path) and the service worker (streamed path).
// Plain structured-clonable data only.

import type { Progress } from "../../shared/engine/index.ts";
import type { Platform } from "../../shared/platform.ts";
import type { ErrorInfo } from "./errors.ts";
import type { Credentials } from "./image-lookup.ts";

/** What the page shows before a download starts. */
export interface ImageSummary {
  reference: string;
  platform: Platform;
  platforms: Platform[];
  /** The digest the reference resolved to (an index's for a multi-platform image). */
  topDigest: string;
  /** The chosen platform's manifest digest: what the file contains. */
  digest: string;
  totalSize: number;
  layers: { digest: string; size: number }[];
  fileName: string;
}

export interface StartJob {
  id: string;
  reference: string;
  platform?: Platform;
  credentials?: Credentials;
  /** The digest the reference resolved to when the person looked: the download gets that image. */
  pinnedDigest?: string;
}

export type Request =
  | { kind: "overview"; id: string; reference: string; credentials?: Credentials }
  | { kind: "resolve"; id: string; reference: string; platform?: Platform; credentials?: Credentials }
  | { kind: "tags"; id: string; reference: string; credentials?: Credentials }
  | { kind: "start"; job: StartJob; handle: FileSystemFileHandle; resume: boolean }
  | { kind: "pause"; id: string }
  | { kind: "cancel"; id: string };

export type JobStatus = "starting" | "running" | "paused" | "done" | "failed" | "cancelled";

export type Event =
  | { kind: "result"; id: string; ok: true; value: unknown }
  | { kind: "result"; id: string; ok: false; error: ErrorInfo }
  | { kind: "progress"; id: string; done: number; total: number; layers: number[]; speed: number; eta?: number }
  | { kind: "status"; id: string; status: JobStatus; summary?: ImageSummary; error?: ErrorInfo };

/** The service worker's part: the page posts a job, then navigates a hidden iframe to its URL. */
export type ServiceWorkerRequest =
  | { kind: "prepare-stream"; job: StartJob }
  | { kind: "pause"; id: string }
  | { kind: "resume"; id: string }
  | { kind: "cancel"; id: string }
  | { kind: "skip-waiting" }
  /** Sent while a stream runs: a message event keeps the service worker alive. */
  | { kind: "keepalive" };

/** The engine's progress report as the page's event; `speed` overrides the measured one (0 while paused). */
export function progressEvent(id: string, p: Progress, speed = p.bytesPerSecond): Extract<Event, { kind: "progress" }> {
  return {
    kind: "progress", id, done: p.doneBytes, total: p.totalBytes, layers: p.layers.map((l) => l.done),
    speed, ...(p.etaSeconds === undefined ? {} : { eta: p.etaSeconds }),
  };
}

export const STREAM_PATH = "/_download/";
export const PROGRESS_CHANNEL = "dockerdl-progress";
