// The data a download job's parts share: the page, the download worker (File System
// Access path) and the service worker (streamed path). The calls themselves are typed
// from each worker's handlers (lib/rpc.ts); this is what they take and report. Plain
// structured-clonable data only.

import type { Progress } from "../../shared/engine/index.ts";
import type { Platform } from "../../shared/platform.ts";
import type { ErrorInfo } from "./errors.ts";
import type { Credentials } from "./image-lookup.ts";

/** An image as typed in a form, with the credentials for its registry. */
export interface ImageQuery {
  reference: string;
  credentials?: Credentials;
}

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

export type JobStatus = "starting" | "running" | "paused" | "done" | "failed" | "cancelled";

/**
 * What the page hears about a running download, from either path: the download
 * worker reports through its calls' progress, the service worker over PROGRESS_CHANNEL.
 */
export type JobEvent =
  | { kind: "progress"; id: string; done: number; total: number; layers: number[]; speed: number; eta?: number }
  | { kind: "status"; id: string; status: JobStatus; summary?: ImageSummary; error?: ErrorInfo };

/** The engine's progress report as the page's event; `speed` overrides the measured one (0 while paused). */
export function progressEvent(id: string, p: Progress, speed = p.bytesPerSecond): Extract<JobEvent, { kind: "progress" }> {
  return {
    kind: "progress", id, done: p.doneBytes, total: p.totalBytes, layers: p.layers.map((l) => l.done),
    speed, ...(p.etaSeconds === undefined ? {} : { eta: p.etaSeconds }),
  };
}

export const STREAM_PATH = "/_download/";
export const PROGRESS_CHANNEL = "dockerdl-progress";
