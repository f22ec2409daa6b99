// How blobs are split into range requests, and fetching one range with retries. A
// chunk remembers how many of its bytes arrived, so a reset or a truncated body
// resumes with a Range from there, never from the start of the blob. A server that
// ignores Range sends the whole blob: its body is read on into the following chunks.

import { DockerdlError } from "../errors.ts";
import { RegistryError } from "../registry/errors.ts";
import { cancelled, retrying } from "../retry.ts";
import { Batch, type BufferPool } from "./batch.ts";
import { DEFAULT_STALL_MS, StallWatch } from "./stall-watch.ts";
import type { BodyReader, HeldBytes } from "../http.ts";
import type { BlobSource, RetryEvent } from "./types.ts";

export interface Chunk {
  digest: string;
  /** Within the blob; end exclusive. */
  start: number;
  end: number;
  /** Bytes of [start, end) written so far, from start. */
  received: number;
}

export const DEFAULT_CHUNK_SIZE = 16 << 20;
/** Round trips shorter than this (loopback, a LAN) are not worth overlapping with another request. */
const MIN_OVERLAP_MS = 20;

export interface FetchExtras {
  /** Pieces are gathered into batches from this pool (batch.ts); `accept` must be done with a batch when its promise settles. */
  buffers?: BufferPool;
  /** Called once when what is left of the response takes less than a round trip to arrive. */
  onTail?: () => void;
  /**
   * A body that runs on past its chunk (the server ignored Range) may go on into the
   * chunk after `done` when this hands it over (taken off the queue, or finished already,
   * whose bytes are then passed over); undefined stops it there.
   */
  next?: (done: Chunk) => Chunk | undefined;
  /**
   * Takes a range read whole into the runtime's own storage (BodyReader.readHeld) where
   * the body offers it; `accept` is given pieces otherwise. Must advance chunk.received.
   */
  acceptHeld?: (chunk: Chunk, held: HeldBytes) => Promise<void>;
}

/** Equal chunks of about chunkSize; a blob of up to 1.5 chunks stays whole. */
export function splitBlob(digest: string, size: number, chunkSize: number): Chunk[] {
  if (size === 0) return [{ digest, start: 0, end: 0, received: 0 }];
  const count = size <= chunkSize * 1.5 ? 1 : Math.ceil(size / chunkSize);
  const chunks: Chunk[] = [];
  for (let i = 0; i < count; i++) {
    const start = i * chunkSize;
    chunks.push({ digest, start, end: i === count - 1 ? size : start + chunkSize, received: 0 });
  }
  return chunks;
}

export interface RetryPolicy {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A wait on the network longer than this gives the attempt up, to be retried (stall-watch.ts; default DEFAULT_STALL_MS, 0 for never). */
  stallMs?: number;
  onRetry?(event: RetryEvent): void;
}

/**
 * Fetches what is left of `chunk`, handing each piece to `accept` (which writes it and
 * advances chunk.received), and, from a server that ignores Range, of the chunks after
 * it that `extras.next` hands over. Transient failures retry after a backoff (or the
 * server's Retry-After), from the first missing byte.
 */
export async function fetchChunk(
  chunk: Chunk,
  source: BlobSource,
  accept: (chunk: Chunk, bytes: Uint8Array) => Promise<void>,
  policy: RetryPolicy,
  signal: AbortSignal,
  counted: (bytes: number) => void,
  extras: FetchExtras = {},
): Promise<void> {
  if (chunk.start + chunk.received >= chunk.end) return;
  /** The chunk being filled: a body that runs on moves it along. */
  const at = { chunk };
  let before = { chunk, received: chunk.received };
  await retrying(async () => {
    if (signal.aborted) throw cancelled(signal);
    before = { chunk: at.chunk, received: at.chunk.received };
    const watch = new StallWatch(signal, policy.stallMs ?? DEFAULT_STALL_MS, () => `a range of ${at.chunk.digest} (at byte ${at.chunk.start + at.chunk.received})`);
    try {
      await fetchOnce(at, source, accept, signal, counted, extras, watch);
      // A body whose reads ended (not failed) when the watch gave it up.
      if (watch.stalled) throw watch.stalled;
    } catch (error) {
      // One that went quiet fails as the watch says, whatever its reads said.
      throw watch.stalled ?? error;
    } finally {
      watch.close();
    }
  }, {
    retries: policy.retries,
    baseDelayMs: policy.baseDelayMs,
    maxDelayMs: policy.maxDelayMs,
    maxRetryAfterMs: 5 * 60_000,
    // Jitter keeps parallel chunks from retrying in lockstep.
    jitter: true,
    signal,
    progressed: () => at.chunk !== before.chunk || at.chunk.received > before.received,
    onRetry: (attempt, delayMs, error) => policy.onRetry?.({ digest: at.chunk.digest, position: at.chunk.start + at.chunk.received, attempt, delayMs, error }),
    gaveUp: (error, attempts) => new DockerdlError((error as DockerdlError).code, `${error instanceof Error ? error.message : String(error)} (gave up after ${attempts} attempts)`, {
      hint: "the connection keeps failing; check the network and run the same command again to resume",
      cause: error,
    }),
  });
}

/**
 * A body's reader that takes back the part of a piece that belongs to the next chunk.
 * When its caller copies every piece before reading the next (`recycles`: pieces are
 * gathered into pooled batches), a piece read whole is handed back to the body's reader
 * to free (BodyReader.recycle): the CLI's socket reads are then freed as they are used,
 * not when the collector gets to them (tens of MiB of a pull's peak memory).
 */
class PieceReader {
  readonly #reader: BodyReader;
  readonly #counted: (bytes: number) => void;
  readonly #recycles: boolean;
  readonly #watch: StallWatch | undefined;
  #back: Uint8Array | undefined;
  /** The last piece read from the body, until it is used up. */
  #current: Uint8Array | undefined;

  constructor(reader: BodyReader, counted: (bytes: number) => void, recycles: boolean, watch?: StallWatch) {
    this.#reader = reader;
    this.#counted = counted;
    this.#recycles = recycles && reader.recycle !== undefined;
    this.#watch = watch;
  }

  async read(): Promise<Uint8Array | undefined> {
    const back = this.#back;
    if (back !== undefined) {
      this.#back = undefined;
      return back;
    }
    // Nothing of the last piece was put back, and its caller has copied it.
    this.recycle();
    const read = this.#reader.read();
    const { done, value } = await (this.#watch?.wait(read) ?? read);
    if (done || value === undefined) return undefined;
    this.#counted(value.length);
    if (this.#recycles) this.#current = value;
    return value;
  }

  /** Frees the last piece if none of it is still to be read. */
  recycle(): void {
    const current = this.#current;
    if (current === undefined || this.#back !== undefined) return;
    this.#current = undefined;
    this.#reader.recycle?.(current);
  }

  /** The next bytes straight into `into` (see BodyReader.readInto); empty at the end. */
  async readInto(into: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
    if (this.#back === undefined && this.#reader.readInto !== undefined) {
      const read = this.#reader.readInto(into);
      const bytes = await (this.#watch?.wait(read) ?? read);
      this.#counted(bytes.length);
      return bytes;
    }
    const bytes = await this.read();
    if (bytes === undefined) return into.subarray(0, 0);
    const n = Math.min(bytes.length, into.length);
    into.set(bytes.subarray(0, n));
    this.unread(bytes.subarray(n));
    return into.subarray(0, n);
  }

  unread(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#back = bytes;
  }
}

async function fetchOnce(
  at: { chunk: Chunk },
  source: BlobSource,
  accept: (chunk: Chunk, bytes: Uint8Array) => Promise<void>,
  signal: AbortSignal,
  counted: (bytes: number) => void,
  extras: FetchExtras,
  watch: StallWatch,
): Promise<void> {
  const from = at.chunk.start + at.chunk.received;
  const asked = Date.now();
  const body = await watch.wait(source.fetchRange(at.chunk.digest, from, at.chunk.end, watch.signal));
  const reader = body.getReader();
  watch.onStall(() => void reader.cancel(watch.stalled).catch(() => {}));
  const pieces = new PieceReader(reader, counted, extras.buffers !== undefined, watch);
  // Overlapping the next request with this one's tail is for bodies that end with their chunk.
  const onTail = body.runsOn ? undefined : extras.onTail;
  let skip = 0;
  const { acceptHeld } = extras;
  try {
    // Whole into the runtime's storage where the body can; piece by piece otherwise.
    const tookHeld = acceptHeld !== undefined && !body.runsOn && (await takeHeld(at.chunk, from, reader, acceptHeld, signal, counted, watch));
    while (!tookHeld) {
      await fillChunk(at.chunk, pieces, skip, accept, signal, extras.buffers, onTail === undefined ? undefined : { asked, onTail: () => {
        onTail();
        delete extras.onTail;
      } });
      const next = body.runsOn ? extras.next?.(at.chunk) : undefined;
      if (next === undefined) break;
      at.chunk = next;
      // What the next chunk has already (a resumed download) passes by again: no Range here.
      skip = next.received;
    }
  } finally {
    pieces.recycle();
    // A body that runs on is cancelled whatever was read of it: its connection must not linger.
    if (body.runsOn || at.chunk.start + at.chunk.received < at.chunk.end || signal.aborted) await reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
  if (at.chunk.start + at.chunk.received < at.chunk.end) {
    throw new RegistryError("TRUNCATED", `the body of a range of ${at.chunk.digest} ended after ${at.chunk.start + at.chunk.received - from} of ${at.chunk.end - from} bytes`, {
      hint: "try again",
    });
  }
}

/**
 * The rest of `chunk` read whole into the runtime's storage and handed to `accept`;
 * false when the body declines (it is then read piece by piece). A break loses what the
 * attempt held: the retry asks again from the same byte.
 */
async function takeHeld(
  chunk: Chunk,
  from: number,
  reader: BodyReader,
  accept: (chunk: Chunk, held: HeldBytes) => Promise<void>,
  signal: AbortSignal,
  counted: (bytes: number) => void,
  watch: StallWatch,
): Promise<boolean> {
  if (reader.readHeld === undefined) return false;
  const wanted = chunk.end - from;
  let held;
  try {
    held = await watch.wait(reader.readHeld(wanted), true);
  } catch (error) {
    if (signal.aborted) throw cancelled(signal);
    if (error instanceof DockerdlError) throw error;
    throw new RegistryError("TRUNCATED", `the connection broke while a range of ${chunk.digest} (${wanted} bytes) was read whole`, {
      hint: "try again",
      cause: error,
    });
  }
  if (held === undefined) return false;
  if (held.size > wanted) {
    throw new RegistryError("UPSTREAM", `a range of ${chunk.digest} came as ${held.size} bytes where ${wanted} were asked`, {
      hint: "the registry or proxy handles range requests wrongly; try again",
    });
  }
  counted(held.size);
  if (held.size > 0) await accept(chunk, held);
  return true;
}

/** Reads `chunk`'s missing bytes from `pieces` after passing over `skip` of them; what comes after the chunk is put back. */
async function fillChunk(
  chunk: Chunk,
  pieces: PieceReader,
  skip: number,
  accept: (chunk: Chunk, bytes: Uint8Array) => Promise<void>,
  signal: AbortSignal,
  buffers: BufferPool | undefined,
  tail: { asked: number; onTail: () => void } | undefined,
): Promise<void> {
  const batch = new Batch(chunk, accept, buffers);
  let firstByte = 0;
  let arrived = 0;
  while (skip > 0 || chunk.start + chunk.received + batch.filled < chunk.end) {
    // Straight into the batch's buffer where there is one: no copy, nothing allocated.
    const inPlace = skip === 0 && batch.pooled;
    let bytes;
    try {
      bytes = inPlace ? await batch.readFrom(pieces) : await pieces.read();
    } catch (error) {
      if (signal.aborted) throw cancelled(signal);
      // What arrived before the break is good, whatever broke it (a reset, a body that
      // went quiet: stall-watch.ts): write it, so the retry starts after it.
      await batch.flush();
      if (error instanceof DockerdlError) throw error;
      throw new RegistryError("TRUNCATED", `the connection broke after ${chunk.received} of ${chunk.end - chunk.start} bytes of a range of ${chunk.digest}`, {
        hint: "try again",
        cause: error,
      });
    }
    if (bytes === undefined || (inPlace && bytes.length === 0)) break;
    const room = chunk.end - chunk.start - chunk.received - batch.filled + (inPlace ? bytes.length : 0);
    if (!inPlace && skip > 0) {
      const passed = Math.min(skip, bytes.length);
      skip -= passed;
      bytes = bytes.subarray(passed);
    }
    if (bytes.length === 0) continue;
    if (!inPlace && bytes.length > room) {
      pieces.unread(bytes.subarray(room));
      if (room === 0) break;
      bytes = bytes.subarray(0, room);
    }
    if (tail !== undefined) {
      const now = Date.now();
      if (firstByte === 0) firstByte = now;
      arrived += bytes.length;
      const roundTrip = firstByte - tail.asked;
      // Less left than a round trip's worth at this connection's speed: the next request may go now.
      if (roundTrip >= MIN_OVERLAP_MS && now > firstByte && ((room - bytes.length) * (now - firstByte)) / arrived < roundTrip) {
        tail.onTail();
        tail = undefined;
      }
    }
    if (inPlace) await batch.added();
    else await batch.add(bytes);
  }
  await batch.flush();
}
