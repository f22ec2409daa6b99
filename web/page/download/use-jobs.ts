// The downloads this page shows: their status, progress, speed and ETA, kept up to date
// from the workers' events. Also mirrors the most active one into the tab title.

import { useEffect, useState } from "preact/hooks";
import type { SourceEvent, SourceStats } from "../../../shared/engine/index.ts";
import type { ErrorInfo } from "../../lib/errors.ts";
import type { BundleSummary, ImageSummary, JobStatus } from "../../lib/protocol.ts";
import type { Credentials } from "../../lib/image-lookup.ts";
import type { Space } from "./disk-space.ts";
import { onJobEvent } from "./download-client.ts";

export interface JobView {
  id: string;
  via: "file" | "stream";
  reference: string;
  status: JobStatus;
  summary?: ImageSummary;
  /** A bundle's images and sizes (then `summary` is absent). */
  bundle?: BundleSummary;
  done: number;
  total: number;
  layers: number[];
  /** Bytes per second over the last few seconds, and seconds left at that speed. */
  speed: number;
  eta?: number;
  error?: ErrorInfo;
  handle?: FileSystemFileHandle;
  /** The room the file needs, and what is free where the browser can tell. */
  space?: Space;
  credentials?: Credentials;
  /** With extra sources: each one's bytes and speed, and what happened to them. */
  sources?: SourceStats[];
  sourceEvents?: SourceEvent[];
}

const BASE_TITLE = document.title;

export function useJobs(): [JobView[], (job: JobView) => void, (id: string, patch: Partial<JobView>) => void, (id: string) => void] {
  const [jobs, setJobs] = useState<JobView[]>([]);

  const update = (id: string, patch: Partial<JobView> | ((job: JobView) => Partial<JobView>)) =>
    setJobs((list) => list.map((j) => (j.id === id ? { ...j, ...(typeof patch === "function" ? patch(j) : patch) } : j)));

  useEffect(
    () =>
      onJobEvent((event) => {
        if (event.kind === "progress") {
          update(event.id, { done: event.done, total: event.total, layers: event.layers, speed: event.speed, eta: event.eta, ...(event.sources ? { sources: event.sources } : {}) });
        } else if (event.kind === "source") {
          update(event.id, (job) => ({ sourceEvents: [...(job.sourceEvents ?? []), event.event] }));
        } else if (event.kind === "status") {
          update(event.id, (job) => ({
            status: event.status,
            ...(event.summary ? { summary: event.summary, total: event.summary.totalSize } : {}),
            ...(event.bundle ? { bundle: event.bundle, total: event.bundle.totalSize } : {}),
            error: event.error,
            ...(event.status === "done" ? { done: job.total || event.summary?.totalSize || event.bundle?.totalSize || job.done } : {}),
            ...(event.status !== "running" ? { speed: 0, eta: undefined } : {}),
          }));
        }
      }),
    [],
  );

  useEffect(() => {
    const active = jobs.find((j) => j.status === "running" || j.status === "starting");
    if (active && active.total > 0) {
      document.title = `${Math.floor((active.done / active.total) * 100)}% · ${active.reference} — dockerdl`;
    } else if (active) {
      document.title = `… ${active.reference} — dockerdl`;
    } else {
      document.title = BASE_TITLE;
    }
  }, [jobs]);

  const add = (job: JobView) => setJobs((list) => [job, ...list.filter((j) => j.id !== job.id)]);
  const remove = (id: string) => setJobs((list) => list.filter((j) => j.id !== id));
  return [jobs, add, update, remove];
}
