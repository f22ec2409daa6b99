// The File System Access download: the shared engine fills the picked file with
// positioned writes from parallel ranged fetches (its random-access sink), and its
// resumable state is saved beside the file handle each time the file is committed.

import { downloadArchive, type BlobSource, type EngineState, type Progress } from "../../../shared/engine/index.ts";
import { blobSegments, type TarPlan } from "../../../shared/tar.ts";
import { CheckpointedFile } from "./checkpointed-file.ts";
import { asBlob } from "./hash-blob.ts";
import { remoteSHA256 } from "./remote-hasher.ts";

// One below the browser's 6 connections per host, so the page's own requests still go.
export const CONNECTIONS = 5;

export interface FileDownload {
  plan: TarPlan;
  /** Where the plan's blobs come from: one image's registry, or each image's of a bundle. */
  source: BlobSource;
  /** Requests at once: CONNECTIONS, or a multi-source's sum of every source's. */
  connections?: number;
  handle: FileSystemFileHandle;
  /** The state saved by an earlier run into this same file, if any. */
  resume?: EngineState;
  signal: AbortSignal;
  onProgress(progress: Progress): void;
  /** Records a state once the bytes it describes are committed to disk. */
  onCommit(state: EngineState | undefined): Promise<void>;
}

export async function downloadToFile(d: FileDownload): Promise<void> {
  const connections = d.connections ?? CONNECTIONS;
  const file = new CheckpointedFile(d.handle, d.plan.totalSize, connections, blobSegments(d.plan).map((s) => s.offset + s.size));
  await file.open(d.resume !== undefined);
  await d.onCommit(d.resume);
  // The engine reports a consistent state as bytes arrive; a commit keeps the latest one
  // (its bytes were written before it was reported, so the commit covers them). The
  // timer commits too when every connection is stalled and no report comes.
  let latest = d.resume;
  let committed = latest;
  const commitLatest = async () => {
    const state = latest;
    if (state === committed || !file.commitDue()) return;
    await file.commit(() => d.onCommit(state));
    committed = state;
  };
  const timer = setInterval(() => void commitLatest().catch(() => {}), 1000);
  try {
    await downloadArchive({
      plan: d.plan,
      source: d.source,
      sink: {
        kind: "random-access",
        write: (position, bytes) => file.unit((write) => write(position, bytes)),
        // Ranges read whole into Blobs (web/lib/held-bodies.ts) are written as they are.
        writeHeld: (position, held) => file.unit((write) => write(position, asBlob(held))),
      },
      createHasher: remoteSHA256,
      connections,
      ...(d.resume ? { resume: d.resume } : {}),
      onCheckpoint: async (state) => {
        latest = state;
        await commitLatest();
      },
      onProgress: d.onProgress,
      signal: d.signal,
    });
  } catch (error) {
    // Paused, offline or failed: keep what is written, so a resume continues from it.
    await file.commit(() => d.onCommit(latest), false).catch(() => file.abort());
    throw error;
  } finally {
    clearInterval(timer);
  }
  await file.commit(() => d.onCommit(latest), false);
}

