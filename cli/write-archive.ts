// Filling the planned archive: into FILE.part (locked, resumable, renamed to FILE only
// once every layer is verified; the part file and its state stay for the next run on
// failure), or into standard output (a stream: no resume, and a failure leaves the
// reader with a short, broken tar, never a complete-looking one).

import { rename } from "node:fs/promises";
import { DockerdlError } from "../shared/errors.ts";
import { downloadArchive, type BlobSource, type DownloadResult, type EngineState } from "../shared/engine/index.ts";
import type { TarPlan } from "../shared/tar.ts";
import { explainFileError } from "./file-errors.ts";
import { fileSink, nodeHasher, openPartFile, partFileMatches, partPath, readResumeFile, removeResumeFile, statePath, writeResumeFile } from "./file-sink.ts";
import { lockOutput, stdoutSink } from "./output-target.ts";
import type { ProgressLine } from "./progress-line.ts";

export interface ArchiveJob {
  plan: TarPlan;
  source: BlobSource;
  /** What the download is of, to recognise a resume state: references and manifest digests. */
  reference: string;
  manifestDigest: string;
  connections: number;
  chunkSize?: number;
  line: ProgressLine;
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
      ...(resumable ? { resume: previous.engine } : {}),
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
    await rename(partPath(output), output);
  } catch (error) {
    throw withResumeHint(explainFileError(error, output) ?? error, output);
  }
  await removeResumeFile(output);
  return result;
}

export async function writeArchiveToStdout(job: ArchiveJob, stdout: NodeJS.WritableStream): Promise<DownloadResult> {
  const sink = stdoutSink(stdout);
  try {
    const result = await downloadArchive({
      plan: job.plan,
      source: job.source,
      sink,
      createHasher: nodeHasher,
      connections: job.connections,
      ...(job.chunkSize === undefined ? {} : { chunkSize: job.chunkSize }),
      onProgress: (p) => job.line.update(p),
      signal: job.signal,
    });
    await sink.flush();
    return result;
  } catch (error) {
    throw explainFileError(error, "-") ?? error;
  } finally {
    job.line.finish();
  }
}

function withResumeHint(error: unknown, output: string): unknown {
  if (!(error instanceof DockerdlError)) return error;
  const hint = `${error.hint ? `${error.hint}; ` : ""}the partial download is kept in ${partPath(output)}: run the same command again to resume`;
  return new DockerdlError(error.code, error.message, { hint, cause: error.cause ?? error });
}
