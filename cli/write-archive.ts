// Filling the planned archive: into FILE.part (locked, resumable, renamed to FILE only
// once every layer is verified; the part file and its state stay for the next run on
// failure), or into standard output or a FIFO or device named by -o (a stream: no
// resume, and a failure leaves the reader with a short, broken tar, never a
// complete-looking one).

import { lstat, rename } from "node:fs/promises";
import { finished } from "node:stream/promises";
import { DockerdlError } from "../shared/errors.ts";
import { downloadArchive, type BlobSource, type DownloadResult, type EngineState } from "../shared/engine/index.ts";
import type { TarPlan } from "../shared/tar.ts";
import { explainFileError } from "./file-errors.ts";
import { fileSink, nodeHasher, openPartFile, partFileMatches, partPath, readResumeFile, rehashedOnResume, removeResumeFile, statePath, writeResumeFile } from "./file-sink.ts";
import { isStreamTarget, lockOutput, openStreamTarget, stdoutSink } from "./output-target.ts";
import type { ProgressLine } from "./progress-line.ts";

export interface ArchiveJob {
  plan: TarPlan;
  source: BlobSource;
  /** What the download is of, to recognise a resume state: references and manifest digests. */
  reference: string;
  manifestDigest: string;
  connections: number;
  chunkSize?: number;
  /** The engine's stallMs (--read-timeout). */
  stallMs?: number;
  /** The progress line, or anything that shows progress the same way (source-progress.ts). */
  line: Pick<ProgressLine, "update" | "finish" | "note">;
  signal: AbortSignal;
}

export async function writeArchiveToFile(job: ArchiveJob, output: string): Promise<DownloadResult> {
  const lock = await lockOutput(output);
  try {
    return await fillPartFile(job, output);
  } finally {
    await lock.release();
  }
}

async function fillPartFile(job: ArchiveJob, output: string): Promise<DownloadResult> {
  const { plan, line } = job;
  const previous = await readResumeFile(output);
  const resumable = previous !== undefined && previous.manifestDigest === job.manifestDigest && previous.totalSize === plan.totalSize
    && (await partFileMatches(output, plan.totalSize));
  if (previous !== undefined && !resumable) line.note(`${statePath(output)} is for another download; starting over`);
  const handle = await openPartFile(output, plan.totalSize, resumable).catch((error: unknown) => {
    if (error instanceof DockerdlError) throw error;
    throw explainFileError(error, partPath(output)) ?? new DockerdlError("WRITE_FAILED", `cannot write ${partPath(output)}: ${(error as Error).message.replace(/^[A-Z]+: /, "")}`, {
      hint: "check that the output directory exists, is writable and has room (choose another place with -o)",
    });
  });
  const resumeFile = (engine: EngineState) => ({
    tool: "dockerdl" as const, version: 1 as const, reference: job.reference, manifestDigest: job.manifestDigest, totalSize: plan.totalSize, engine,
  });
  let result;
  try {
    result = await downloadArchive({
      plan,
      source: job.source,
      sink: fileSink(handle),
      createHasher: nodeHasher,
      connections: job.connections,
      // A far registry's round trips overlap transfers (random-access sinks only).
      earlyRequests: job.connections,
      ...(job.chunkSize === undefined ? {} : { chunkSize: job.chunkSize }),
      ...(job.stallMs === undefined ? {} : { stallMs: job.stallMs }),
      ...(resumable ? { resume: rehashedOnResume(previous.engine) } : {}),
      onCheckpoint: async (state) => {
        // The state vouches for written bytes: get them to the disk first.
        await handle.datasync();
        await writeResumeFile(output, resumeFile(state));
      },
      checkpointIntervalMs: 2000,
      onProgress: (p) => line.update(p),
      signal: job.signal,
    });
    await handle.sync();
  } catch (error) {
    line.finish();
    await handle.close().catch(() => {});
    throw withResumeHint(explainFileError(error, partPath(output)) ?? error, output);
  }
  line.finish();
  await handle.close();
  try {
    await refuseStreamTarget(output);
    await rename(partPath(output), output);
  } catch (error) {
    throw withResumeHint(explainFileError(error, output) ?? error, output);
  }
  await removeResumeFile(output);
  return result;
}

/** Into a FIFO or device named by -o: in order, as to standard output; closed at the end. */
export async function writeArchiveToStream(job: ArchiveJob, path: string): Promise<DownloadResult> {
  const stream = await openStreamTarget(path).catch((error: unknown) => {
    throw explainFileError(error, path, "stream") ?? error;
  });
  try {
    return await writeArchiveToStdout(job, stream, path);
  } finally {
    if (!stream.destroyed) stream.end();
    await finished(stream).catch(() => {}); // a failure was thrown above already
  }
}

/** `shownAs`: "-" for standard output, else the FIFO or device's path, for messages. */
export async function writeArchiveToStdout(job: ArchiveJob, stdout: NodeJS.WritableStream, shownAs = "-"): Promise<DownloadResult> {
  const sink = stdoutSink(stdout);
  try {
    const result = await downloadArchive({
      plan: job.plan,
      source: job.source,
      sink,
      createHasher: nodeHasher,
      connections: job.connections,
      ...(job.chunkSize === undefined ? {} : { chunkSize: job.chunkSize }),
      ...(job.stallMs === undefined ? {} : { stallMs: job.stallMs }),
      onProgress: (p) => job.line.update(p),
      signal: job.signal,
    });
    await sink.flush();
    return result;
  } catch (error) {
    throw explainFileError(error, shownAs, "stream") ?? (await brokenStream(error, job, shownAs));
  } finally {
    job.line.finish();
  }
}

/**
 * A layer that failed its digest on its way into a stream is out already, wrong bytes and
 * all. With several sources, they are asked who sent them (as for a file), and the
 * message says the stream is broken, who lied, and how to get a good one.
 */
async function brokenStream(error: unknown, job: ArchiveJob, shownAs: string): Promise<unknown> {
  const digest = error instanceof DockerdlError && error.code === "DIGEST_MISMATCH" ? error.params?.digest : undefined;
  if (digest === undefined || job.source.corrupt === undefined) return error;
  const verdict = await job.source.corrupt(digest, { signal: job.signal })?.catch(() => undefined);
  const liars = verdict?.liars ?? [];
  const where = shownAs === "-" ? "standard output" : shownAs;
  const without = liars.map((name) => (name === "registry" ? "--no-direct" : `--mirror ${name}`)).join(" and ");
  return new DockerdlError("DIGEST_MISMATCH", `the tar stream on ${where} is broken: layer ${digest} failed its digest${liars.length > 0 ? `; source ${liars.join(", ")} sent wrong bytes for it` : ""}`, {
    hint: `throw away what was written; run again${liars.length > 0 ? ` without ${without} (and out of DOCKERDL_MIRRORS and the config file)` : ""}, or write to a file with -o FILE, where a source's wrong bytes are fetched again from the others`,
    params: { digest, ...(liars.length > 0 ? { sources: liars.join(", ") } : {}) },
    cause: error,
  });
}

/**
 * A FIFO or device that appeared under the output's name since the start is not
 * replaced by the finished file (lstat: a symbolic link there is itself replaced, harmlessly).
 */
async function refuseStreamTarget(output: string): Promise<void> {
  const info = await lstat(output).catch(() => undefined);
  if (info === undefined || !(isStreamTarget(info) || info.isSocket())) return;
  throw new DockerdlError("WRITE_FAILED", `${output} is now a FIFO or device, not a file; dockerdl does not replace it`, {
    hint: "run the same command again to write into it, or choose another place with -o",
  });
}

function withResumeHint(error: unknown, output: string): unknown {
  if (!(error instanceof DockerdlError)) return error;
  const hint = `${error.hint ? `${error.hint}; ` : ""}the partial download is kept in ${partPath(output)}: run the same command again to resume`;
  return new DockerdlError(error.code, error.message, { hint, cause: error.cause ?? error });
}
