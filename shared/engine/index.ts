// The download engine: fills a planned image archive (shared/image-archive.ts) with
// blobs fetched in parallel, verified, resumable, within a memory budget. It runs the
// same in Node (the CLI), a browser's dedicated Worker or Service Worker (the PWA):
// everything runtime-specific comes in through small interfaces (types.ts).
//
// How to use it:
//
//   const image = await client.resolveImage(ref, platform);         // shared/registry/client.ts
//   const plan = planImageArchive([archiveImageOf(image)]);         // every offset known
//   await downloadArchive({
//     plan,
//     source: registryBlobSource(client, image),                    // or any BlobSource
//     sink,                                                         // see below
//     createHasher: createSHA256,                                   // from hash-wasm
//     resume: savedState,                                           // optional
//     onCheckpoint: (state) => save(state),                         // JSON, any time
//     onProgress: (p) => show(p.doneBytes, p.totalBytes, p.bytesPerSecond, p.etaSeconds),
//     signal,
//   });
//
// Sinks:
// - random-access `{kind: "random-access", write(position, bytes), read?(position, length)}`:
//   a Node file handle, a File System Access writable (write({type: "write", position,
//   data})), OPFS. The caller sizes the file to plan.totalSize if it wants to; the engine
//   writes every tar header first, then every chunk at its final offset, in parallel.
//   With `read`, chunks ahead of a blob's hash cursor are read back instead of held in
//   memory, and resume keeps them. Resume (`resume` + `onCheckpoint`) needs this kind.
//   With `writeHeld` (the browser's), a range whose body the runtime can read whole into
//   its own storage (BodyReader.readHeld: a Blob) is written and hashed (the hasher's
//   updateHeld) without its bytes passing through the engine.
// - sequential `{kind: "sequential", write(bytes)}`: a stream (Service Worker download,
//   HTTP response). Written strictly in order; chunks ahead are prefetched within the
//   memory budget; write()'s promise is the backpressure. Content-Length is
//   plan.totalSize. No resume, and a corrupt layer fails the stream (it cannot be
//   unwritten).
//
// Guarantees: every blob's SHA-256 and size are checked (hashing in order even when
// chunks arrive out of order); a corrupt blob is refetched from scratch once (only the
// ranges of a source found lying, when the source says and the sink reads back), then
// the download fails naming it; resets, truncated bodies, 5xx and 429 (Retry-After) are
// retried with backoff, resuming with Range from the first missing byte; a server that
// ignores Range gets one request per blob at a time (range-gate.ts); the returned
// promise settles only after every request has stopped and nothing more will be
// written. It resolves only when the whole archive is written and verified: a caller
// must not present the output as complete before that (the CLI renames `.part` then).
// Defaults suit a browser's 6 HTTP/1.1 connections per host: 6 connections, 16 MiB
// chunks, 64 MiB memory budget.

import { DockerdlError } from "../errors.ts";
import { blobSegments } from "../tar.ts";
import { BATCH_SIZE, BufferPool } from "./batch.ts";
import { BlobJob, READ_BACK, writeError } from "./blob-job.ts";
import { DEFAULT_CHUNK_SIZE, fetchChunk, splitBlob, type Chunk, type RetryPolicy } from "./chunks.ts";
import { MemoryBudget } from "./memory.ts";
import { ChunkPool } from "./pool.ts";
import { ProgressTracker } from "./progress.ts";
import { RangeGate } from "./range-gate.ts";
import { SequentialAssembler } from "./sequential.ts";
import { planId, usableState } from "./state.ts";
import type { DownloadOptions, DownloadResult, EngineState } from "./types.ts";
import type { HeldBytes } from "../http.ts";
import { cancelled } from "../retry.ts";
import { DEFAULT_STALL_MS } from "./stall-watch.ts";

export type * from "./types.ts";
export { registryBlobSource } from "./registry-source.ts";
export { MultiSource, type SourceEvent, type SourceSpec, type SourceStats } from "./multi-source.ts";
export { formatBytes } from "./util.ts";

export const DEFAULTS = {
  connections: 6,
  earlyRequests: 0,
  chunkSize: DEFAULT_CHUNK_SIZE,
  memoryBudget: 64 << 20,
  retries: 6,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  stallMs: DEFAULT_STALL_MS,
  checkpointIntervalMs: 1000,
  progressIntervalMs: 250,
} as const;

export async function downloadArchive(options: DownloadOptions): Promise<DownloadResult> {
  const o = { ...DEFAULTS, ...definedOnly(options) };
  const { plan, sink } = o;
  const segments = blobSegments(plan);
  const progress = new ProgressTracker(plan.totalSize, segments.map((s) => ({ digest: s.key, size: s.size })), o.progressIntervalMs, options.onProgress);
  const budget = new MemoryBudget(o.memoryBudget);
  const internal = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, internal.signal]) : internal.signal;
  const failWith = (error: unknown) => {
    if (!internal.signal.aborted) internal.abort(error instanceof DockerdlError ? error : writeError(error));
  };
  const result: DownloadResult = { totalBytes: plan.totalSize, fetchedBytes: 0, resumedBytes: 0 };
  const counted = (n: number) => {
    result.fetchedBytes += n;
  };
  const policy: RetryPolicy = { retries: o.retries, baseDelayMs: o.baseDelayMs, maxDelayMs: o.maxDelayMs, stallMs: o.source.watchesStalls === true ? 0 : o.stallMs };
  if (options.onRetry) policy.onRetry = options.onRetry;
  const chunksOf = new Map(segments.map((s) => [s.key, splitBlob(s.key, s.size, o.chunkSize)]));
  if (signal.aborted) throw cancelled(signal);
  o.source.prepare?.({ readBack: sink.kind === "random-access" && sink.read !== undefined });
  let pool: ChunkPool | undefined;
  const gate = new RangeGate(() => pool?.poke());
  const source = gate.watch(o.source);
  const take = (chunk: Chunk) => pool?.take(chunk) ?? false;

  if (sink.kind === "sequential") {
    const assembler = new SequentialAssembler(budget, progress);
    const queue = segments.flatMap((s) => chunksOf.get(s.key) as Chunk[]);
    const next = (done: Chunk) => RangeGate.next(done, chunksOf.get(done.digest) ?? [], take);
    pool = new ChunkPool(queue, o.connections, (chunk) => gate.running(chunk.digest, async () => {
      await fetchChunk(chunk, source, async (c, bytes) => {
        await assembler.accept(c, bytes);
        await budget.waitForRoom(() => assembler.isAtCursor(c), signal);
      }, policy, signal, counted, { next });
    }), failWith, { pick: (queued) => queued.findIndex((c) => gate.allows(c)) });
    signal.addEventListener("abort", () => assembler.wake(), { once: true });
    const writing = assembler.write(plan, sink, o.createHasher, signal).catch((error: unknown) => {
      failWith(error);
      throw error;
    });
    const fetching = pool.run();
    const [w, f] = await Promise.allSettled([writing, fetching]);
    progress.maybeEmit(true);
    if (w.status === "rejected" || f.status === "rejected") throw firstError(signal, w, f);
    return result;
  }

  // Random access.
  const id = planId(plan, o.chunkSize);
  const saved = options.resume === undefined ? undefined : usableState(options.resume, id, new Map([...chunksOf].map(([k, v]) => [k, v.length])));
  // Pieces are gathered into batches from a pool of buffers, read straight into them
  // where the body can (BodyReader.readInto), reused once accepted: about two per
  // connection in use at a time (one filling, one being written), kept for reuse up to
  // twice the connections. Without read, BlobJob keeps a piece ahead of the cursor in a
  // buffer of its own from the pool until it is hashed: the pool keeps as many more as
  // the budget holds. With read, the pumps read back into larger buffers of their own
  // (READ_BACK), one per pump running.
  const buffers = new BufferPool(2 * o.connections + (sink.read === undefined ? Math.ceil(o.memoryBudget / BATCH_SIZE) : 0));
  const readBacks = sink.read === undefined ? undefined : new BufferPool(o.connections, READ_BACK);
  const jobs = new Map<string, BlobJob>();
  // A layer just verified is worth saving at once: if the rest stalls, a resume must
  // not fetch it again. Saved beside the download, as every checkpoint is.
  const verifiedNow = () => void checkpoint(true).catch(failWith);
  let requeued = false;
  const requeue = (chunks: Chunk[]) => {
    requeued = true;
    pool?.requeue(chunks);
  };
  for (const segment of segments) {
    jobs.set(segment.key, new BlobJob(segment, chunksOf.get(segment.key) as Chunk[], {
      sink, budget, progress, createHasher: o.createHasher, fail: failWith, verifiedNow, signal, buffers, ...(readBacks ? { readBacks } : {}),
      requeue,
      // A source over several finds who lied before anything is fetched again.
      suspect: async (mend) => o.source.corrupt?.(segment.key, {
        signal, ...(mend && sink.read ? { read: (start, length) => (sink.read as NonNullable<typeof sink.read>).call(sink, segment.offset + start, length) } : {}),
      }),
    }));
  }
  // Every job's state is taken at the same moment (each state() reads its job before it awaits).
  const state = async (): Promise<EngineState> => ({
    version: 1,
    planId: id,
    headersWritten: true,
    blobs: Object.fromEntries(await Promise.all([...jobs].map(async ([digest, job]) => [digest, await job.state()] as const))),
  });
  let lastCheckpoint = Date.now();
  let checkpointing: Promise<void> | undefined;
  const checkpoint = async (force: boolean) => {
    if (!options.onCheckpoint) return;
    if (checkpointing) {
      if (!force) return;
      // Several forced saves may wait here at once: only one runs at a time, so the
      // caller's onCheckpoint never overlaps itself.
      while (checkpointing) await checkpointing;
    }
    if (!force && Date.now() - lastCheckpoint < o.checkpointIntervalMs) return;
    lastCheckpoint = Date.now();
    checkpointing = state().then((taken) => options.onCheckpoint?.(taken)).finally(() => {
      checkpointing = undefined;
    });
    await checkpointing;
  };

  try {
    for (const segment of plan.segments) {
      if (segment.kind !== "bytes") continue;
      // Headers are cheap to write again and a resumed file may have lost nothing else.
      await sink.write(segment.offset, segment.bytes).catch((error: unknown) => {
        throw writeError(error);
      });
      progress.addInline(segment.bytes.length);
    }
    for (const job of jobs.values()) result.resumedBytes += await job.restore(saved?.blobs[job.digest]);
    for (const job of jobs.values()) await job.pump();
    progress.maybeEmit(true);

    // The jobs' chunks, not chunksOf's: a resumed blob whose bytes failed their digest in
    // the pump above has fresh ones to fetch (its requeue came before there was a pool).
    const queue = [...jobs.values()].flatMap((job) => job.chunks.filter((c) => c.start + c.received < c.end || c.end === 0));
    // A connection of its own for each layer while there are layers nobody fetches: each
    // then hashes what it receives as it arrives, where several connections on one
    // layer leave all but one ahead of its hash cursor (read back or held in memory).
    // Then the rest in file order, as far as the range gate lets them go.
    const pick = (queued: readonly Chunk[]) => {
      const atIdleCursor = queued.findIndex((c) => !gate.busy(c.digest) && (jobs.get(c.digest) as BlobJob).isAtCursor(c));
      return atIdleCursor >= 0 ? atIdleCursor : queued.findIndex((c) => gate.allows(c));
    };
    const next = (done: Chunk) => RangeGate.next(done, (jobs.get(done.digest) as BlobJob).chunks, take);
    // Nothing a fetcher does waits for hashing behind the cursor or for a checkpoint
    // (the sink's flush and the state's save): both run beside the transfers.
    pool = new ChunkPool(queue, o.connections, async (chunk, ending) => {
      const job = jobs.get(chunk.digest) as BlobJob;
      const accept = async (c: Chunk, bytes: Uint8Array | HeldBytes) => {
        await job.accept(c, bytes);
        await budget.waitForRoom(() => job.isAtCursor(c), signal);
        void checkpoint(false).catch(failWith);
      };
      await gate.running(chunk.digest, () => fetchChunk(chunk, source, accept, policy, signal, counted, {
        next, buffers, ...(o.earlyRequests > 0 ? { onTail: ending } : {}), ...(sink.writeHeld ? { acceptHeld: accept } : {}),
      }));
      job.kick(); // an empty blob has no piece that would
    }, failWith, { pick, early: o.earlyRequests });
    // The pumps finish after the last transfer; one that finds a corrupt blob puts its
    // chunks back in the queue, for the pool to run again.
    do {
      requeued = false;
      await pool.run();
      await Promise.all([...jobs.values()].map((job) => job.pump()));
    } while (requeued && !signal.aborted);
    const unverified = [...jobs.values()].find((j) => !j.verified);
    if (unverified) {
      throw new DockerdlError("SIZE_MISMATCH", `layer ${unverified.digest} ended at ${unverified.hashed} of ${unverified.segment.size} bytes`, {
        hint: "this is a bug in dockerdl's engine; run the command again",
      });
    }
  } catch (error) {
    const thrown = signal.aborted ? cancelled(signal) : error;
    // Every pump stops (at its next step, once aborted) before the sink is left alone.
    internal.abort(thrown);
    await Promise.allSettled([...jobs.values()].map((job) => job.pump()));
    await checkpoint(true).catch(() => {});
    progress.maybeEmit(true);
    throw thrown;
  }
  await checkpoint(true);
  progress.maybeEmit(true);
  return result;
}

function firstError(signal: AbortSignal, ...results: PromiseSettledResult<unknown>[]): unknown {
  if (signal.aborted) return cancelled(signal);
  for (const r of results) if (r.status === "rejected") return r.reason;
  return new DockerdlError("CANCELLED", "the download stopped");
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
