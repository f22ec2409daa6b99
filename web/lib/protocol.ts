// The data a download job's parts share: the page, the download worker (File System
// Access path) and the service worker (streamed path). The calls themselves are typed
// from each worker's handlers (lib/rpc.ts); this is what they take and report. Plain
// structured-clonable data only.

import type { Progress, SourceEvent, SourceStats } from "../../shared/engine/index.ts";
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

/** One image of a bundle as the page asks for it: the reference, and the platform written for it (a Compose service's). */
export interface BundleRequest {
  reference: string;
  /** As written (os/arch[/variant] or an architecture); absent: the bundle's default platform. */
  platform?: string;
}

/** One image of a bundle as resolved when the person looked, so the download gets those images. */
export interface BundleImage {
  reference: string;
  platform: Platform;
  /** What the reference resolved to (index or manifest). */
  pinnedDigest: string;
}

/** What the page shows of a bundle before and while it downloads. */
export interface BundleSummary {
  images: ImageSummary[];
  /** The one file's size: a layer two images share is counted once. */
  totalSize: number;
  /** What the images would take as separate files. */
  separateSize: number;
}

/** A bundle's lookup: each request's image, or why it could not be resolved, in request order. */
export type BundleLookup = ({ ok: true; summary: ImageSummary } | { ok: false; error: ErrorInfo })[];

/** The download worker's answer to a bundle's lookup. */
export interface BundleAnswer {
  images: BundleLookup;
  /** The one file's size, and the separate files' sum, over the images that resolved. */
  totalSize: number;
  separateSize: number;
}

export interface StartJob {
  id: string;
  /** The image's reference; for a bundle, its references joined for titles. */
  reference: string;
  platform?: Platform;
  credentials?: Credentials;
  /** The digest the reference resolved to when the person looked: the download gets that image. */
  pinnedDigest?: string;
  /** Several images in one file (File System Access only); `reference` and `platform` are then unused. */
  bundle?: { images: BundleImage[] };
  /** Extra sources' URLs from settings, beside this app's own Worker (for what is fetched without credentials). */
  sources?: string[];
}

export type JobStatus = "starting" | "running" | "paused" | "done" | "failed" | "cancelled";

/**
 * What the page hears about a running download, from either path: the download
 * worker reports through its calls' progress, the service worker over PROGRESS_CHANNEL.
 */
export type JobEvent =
  | { kind: "progress"; id: string; done: number; total: number; layers: number[]; speed: number; eta?: number; sources?: SourceStats[] }
  /** With several sources: one skipped for a layer, dropped, or caught sending wrong bytes. */
  | { kind: "source"; id: string; event: SourceEvent }
  | { kind: "status"; id: string; status: JobStatus; summary?: ImageSummary; bundle?: BundleSummary; error?: ErrorInfo };

/** The engine's progress report as the page's event; `speed` overrides the measured one (0 while paused). */
export function progressEvent(id: string, p: Progress, speed = p.bytesPerSecond): Extract<JobEvent, { kind: "progress" }> {
  return {
    kind: "progress", id, done: p.doneBytes, total: p.totalBytes, layers: p.layers.map((l) => l.done),
    speed, ...(p.etaSeconds === undefined ? {} : { eta: p.etaSeconds }),
  };
}

export const STREAM_PATH = "/_download/";
export const PROGRESS_CHANNEL = "dockerdl-progress";
