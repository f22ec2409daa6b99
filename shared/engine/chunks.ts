// How blobs are split into range requests, and fetching one range with retries. A
// chunk remembers how many of its bytes arrived, so a reset or a truncated body
// resumes with a Range from there, never from the start of the blob.

import { DockerdlError } from "../errors.ts";
import { RegistryError } from "../registry/errors.ts";
import { cancelled, retrying } from "../retry.ts";
import { Batch, type BufferPool } from "./batch.ts";
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
  onRetry?(event: RetryEvent): void;
}

/**
 * Fetches what is left of `chunk`, handing each piece to `accept` (which writes it and
 * advances chunk.received). Transient failures retry after a backoff (or the server's
 * Retry-After), from the first missing byte.
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
  let before = chunk.received;
  await retrying(async () => {
    if (signal.aborted) throw cancelled(signal);
    before = chunk.received;
    await fetchOnce(chunk, source, accept, signal, counted, extras);
  }, {
    retries: policy.retries,
    baseDelayMs: policy.baseDelayMs,
    maxDelayMs: policy.maxDelayMs,
    maxRetryAfterMs: 5 * 60_000,
    // Jitter keeps parallel chunks from retrying in lockstep.
    jitter: true,
    signal,
    progressed: () => chunk.received > before,
    onRetry: (attempt, delayMs, error) => policy.onRetry?.({ digest: chunk.digest, position: chunk.start + chunk.received, attempt, delayMs, error }),
    gaveUp: (error, attempts) => new DockerdlError((error as DockerdlError).code, `${error instanceof Error ? error.message : String(error)} (gave up after ${attempts} attempts)`, {
      hint: "the connection keeps failing; check the network and run the same command again to resume",
      cause: error,
    }),
  });
}

async function fetchOnce(
  chunk: Chunk,
  source: BlobSource,
  accept: (chunk: Chunk, bytes: Uint8Array) => Promise<void>,
  signal: AbortSignal,
  counted: (bytes: number) => void,
  extras: FetchExtras,
): Promise<void> {
  const from = chunk.start + chunk.received;
  const asked = Date.now();
  const stream = await source.fetchRange(chunk.digest, from, chunk.end, signal);
  const reader = stream.getReader();
  const batch = new Batch(chunk, accept, extras.buffers);
  let firstByte = 0;
  let arrived = 0;
  try {
    while (chunk.start + chunk.received + batch.filled < chunk.end) {
      let result;
      try {
        result = await reader.read();
      } catch (error) {
        if (signal.aborted) throw cancelled(signal);
        if (error instanceof DockerdlError) throw error;
        // What arrived before the break is good: write it, so the retry starts after it.
        await batch.flush();
        throw new RegistryError("TRUNCATED", `the connection broke after ${chunk.received} of ${chunk.end - chunk.start} bytes of a range of ${chunk.digest}`, {
          hint: "try again",
          cause: error,
        });
      }
      if (result.done || result.value === undefined) break;
      let bytes = result.value;
      if (bytes.length === 0) continue;
      counted(bytes.length);
      const room = chunk.end - chunk.start - chunk.received - batch.filled;
      if (bytes.length > room) bytes = bytes.subarray(0, room);
      if (extras.onTail) {
        const now = Date.now();
        if (firstByte === 0) firstByte = now;
        arrived += bytes.length;
        const roundTrip = firstByte - asked;
        // Less left than a round trip's worth at this connection's speed: the next request may go now.
        if (roundTrip >= MIN_OVERLAP_MS && now > firstByte && ((room - bytes.length) * (now - firstByte)) / arrived < roundTrip) {
          extras.onTail();
          delete extras.onTail;
        }
      }
      await batch.add(bytes);
    }
    await batch.flush();
  } finally {
    if (chunk.start + chunk.received < chunk.end || signal.aborted) await reader.cancel().catch(() => {});
    else reader.releaseLock();
  }
  if (chunk.start + chunk.received < chunk.end) {
    throw new RegistryError("TRUNCATED", `the body of a range of ${chunk.digest} ended after ${chunk.start + chunk.received - from} of ${chunk.end - from} bytes`, {
      hint: "try again",
    });
  }
}
