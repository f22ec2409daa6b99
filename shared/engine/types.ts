// The download engine's public types: what it reads from (a blob source), what it
// writes to (a random-access or a sequential sink), how it hashes, what it reports and
// what it saves to resume. All runtime-agnostic: see index.ts for how each runtime
// plugs in.

import type { HeldBytes, HttpBody } from "../http.ts";
import type { TarPlan } from "../tar.ts";
import type { BlobHasher } from "../verify.ts";

export type { BlobHasher };

/** Where blob bytes come from: the registry (registry-source.ts), the proxy, or a test. */
export interface BlobSource {
  /**
   * The bytes [start, end) of blob `digest` (a web ReadableStream will do), or, from a
   * server that ignored the Range, the bytes from `start` to the blob's end (`runsOn`).
   * The body may end early or fail (a reset, a truncated body): the engine asks again
   * from where it stopped. Errors that are DockerdlErrors with a transient code
   * (NETWORK, UPSTREAM, RATE_LIMITED, TRUNCATED) are retried with backoff; any other
   * error fails the download.
   */
  fetchRange(digest: string, start: number, end: number, signal: AbortSignal): Promise<RangeBody>;
  /**
   * Optional: told once, before a download starts, whether the engine can read back what
   * it wrote (a random-access sink with `read`): a source over several (multi-source.ts)
   * then notes only which source served which range, and reads a range back to hash it
   * when it has to find who lied, instead of hashing every byte as it passes.
   */
  prepare?(download: { readBack: boolean }): void;
  /**
   * Optional: true for a source that gives up its own quiet requests (multi-source.ts,
   * which also waits for a free source inside fetchRange): the engine then does not
   * watch its requests (stallMs).
   */
  readonly watchesStalls?: boolean;
  /**
   * Optional: `digest` failed its digest. A source over several (multi-source.ts) finds
   * and drops the one that lied, and answers which ranges of the blob it served (only
   * they need fetching again, the rest of the written blob is good) and who it was;
   * undefined when it found nobody (then the whole blob is fetched again).
   */
  corrupt?(digest: string, context: CorruptContext): Promise<CorruptVerdict | undefined> | undefined;
}

/** What a source is given to investigate a blob that failed its digest. */
export interface CorruptContext {
  signal: AbortSignal;
  /** Bytes [start, start + length) of the blob as written, when the sink can read back. */
  read?(start: number, length: number): Promise<Uint8Array>;
}

/** Who sent wrong bytes for a blob, and where (ranges within the blob, end exclusive). */
export interface CorruptVerdict {
  liars: string[];
  wrong: { start: number; end: number }[];
}

/** A body fetchRange answers. */
export interface RangeBody extends HttpBody {
  /**
   * The server ignored Range (a 200 with the whole blob): the body runs on past `end` to
   * the blob's end. The engine reads on into the blob's following chunks, and cancels
   * what it does not read.
   */
  readonly runsOn?: boolean;
}

/** A file written at any offset: a Node file handle, File System Access, OPFS. */
export interface RandomAccessSink {
  kind: "random-access";
  write(position: number, bytes: Uint8Array): Promise<void>;
  /**
   * Optional: reads back bytes written earlier. With it, chunks that arrive ahead of a
   * blob's hash cursor are written and dropped, then read back to be hashed in order;
   * without it they stay in memory (within `memoryBudget`) until hashed, and a resumed
   * download refetches everything after each blob's hash cursor. With `into` (at least
   * `length` bytes, the engine's to reuse), the sink may read into it and return a view
   * of it rather than a new buffer.
   */
  read?(position: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  /**
   * Optional: writes bytes the runtime holds (a browser's Blob, shared/http.ts's
   * HeldBytes) at `position`. With it, a range whose body can be read whole that way
   * (BodyReader.readHeld) never passes through the engine: the sink writes it and the
   * hasher hashes it (so every hasher the download creates must have updateHeld).
   */
  writeHeld?(position: number, held: HeldBytes): Promise<void>;
}

/** A stream written front to back: a Service Worker download, an HTTP response, stdout. */
export interface SequentialSink {
  kind: "sequential";
  /** Resolves when the sink wants more (backpressure). */
  write(bytes: Uint8Array): Promise<void>;
}

export type Sink = RandomAccessSink | SequentialSink;

/** Where each blob's hasher comes from (shared/verify.ts's BlobHasher); hash-wasm's `createSHA256` is one as it is. */
export type BlobHasherFactory = () => Promise<BlobHasher>;

export interface LayerProgress {
  digest: string;
  size: number;
  /** Bytes received and written (not necessarily verified yet). */
  done: number;
  verified: boolean;
}

export interface Progress {
  totalBytes: number;
  doneBytes: number;
  /** Bytes per second over the last few seconds. */
  bytesPerSecond: number;
  /** Seconds left at the current speed; undefined until there is a speed. */
  etaSeconds?: number;
  layers: LayerProgress[];
}

export interface RetryEvent {
  digest: string;
  /** Where the retry resumes, within the blob. */
  position: number;
  attempt: number;
  delayMs: number;
  error: unknown;
}

export interface BlobState {
  /** Bytes [0, hashed) are written and hashed; `hasher` is the hash state at that point. */
  hashed: number;
  hasher?: string;
  /** Per chunk: bytes written from the chunk's start (only trusted with a readable sink). */
  received: number[];
  verified: boolean;
}

/** Plain JSON: save it anywhere (a file beside the download, IndexedDB) and pass it back as `resume`. */
export interface EngineState {
  version: 1;
  /** Identifies plan + chunking; a state for anything else is ignored, not misapplied. */
  planId: string;
  headersWritten: boolean;
  blobs: Record<string, BlobState>;
}

export interface DownloadOptions {
  plan: TarPlan;
  source: BlobSource;
  sink: Sink;
  createHasher: BlobHasherFactory;
  /** Parallel requests in all (default 6: a browser's HTTP/1.1 limit per host). */
  connections?: number;
  /**
   * Requests that may start beyond `connections` while running ones receive their last
   * round trip's worth of bytes (measured per response; never on round trips under 20 ms),
   * so a far registry's latency overlaps transfers instead of stalling every connection
   * between layers (default 0; random-access sinks only). Each may open a connection.
   */
  earlyRequests?: number;
  /** Layers larger than this are fetched as several ranges in parallel (default 16 MiB). */
  chunkSize?: number;
  /** Bytes held in memory waiting to be hashed or written in order (default 64 MiB). */
  memoryBudget?: number;
  /** Transient failures in a row, without progress, before a chunk gives up (default 6). */
  retries?: number;
  /** First backoff delay, doubled per failure up to maxDelayMs (defaults 500 and 15 000). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * A range request whose answer or next bytes (or whole body, read whole) take longer
   * than this is given up and retried from its first missing byte (stall-watch.ts;
   * default 60 000; 0 for never). Time spent not reading (a slow sink) does not count.
   */
  stallMs?: number;
  /** A state saved from an earlier run of the same plan (random-access sinks only). */
  resume?: EngineState;
  /** Called with a consistent state at most every checkpointIntervalMs, and at the end. */
  onCheckpoint?(state: EngineState): void | Promise<void>;
  checkpointIntervalMs?: number;
  onProgress?(progress: Progress): void;
  progressIntervalMs?: number;
  onRetry?(event: RetryEvent): void;
  signal?: AbortSignal;
}

export interface DownloadResult {
  totalBytes: number;
  /** Bytes fetched over the network in this run (retries included). */
  fetchedBytes: number;
  /** Bytes skipped because a resumed state had them already. */
  resumedBytes: number;
}
