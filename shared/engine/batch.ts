// Batched writes: a network hands over pieces of 64 KiB and less; gathered into one
// buffer of 1 MiB they become one write and one hash update instead of dozens. The
// buffers are reused, since a fresh buffer per batch costs more than the copy into it
// (page faults on first touch, and work for the collector).

import type { Chunk } from "./chunks.ts";

export const BATCH_SIZE = 1 << 20;
/** A batch is handed on at most this long after its first byte, so progress keeps moving on a slow link. */
const BATCH_MAX_AGE_MS = 200;

/** Batch buffers to reuse: at most one per connection is in use at a time. */
export class BufferPool {
  readonly #free: Uint8Array[] = [];
  readonly #keep: number;

  constructor(keep: number) {
    this.#keep = keep;
  }

  take(): Uint8Array {
    return this.#free.pop() ?? new Uint8Array(BATCH_SIZE);
  }

  give(buffer: Uint8Array): void {
    if (this.#free.length < this.#keep) this.#free.push(buffer);
  }
}

/** The pieces of one chunk's response on their way to `accept`, gathered when there is a pool. */
export class Batch {
  filled = 0;
  #buffer: Uint8Array | undefined;
  #started = 0;
  readonly #chunk: Chunk;
  readonly #accept: (chunk: Chunk, bytes: Uint8Array) => Promise<void>;
  readonly #pool: BufferPool | undefined;

  constructor(chunk: Chunk, accept: (chunk: Chunk, bytes: Uint8Array) => Promise<void>, pool: BufferPool | undefined) {
    this.#chunk = chunk;
    this.#accept = accept;
    this.#pool = pool;
  }

  async add(bytes: Uint8Array): Promise<void> {
    if (this.#pool === undefined) return this.#accept(this.#chunk, bytes);
    if (this.#buffer === undefined) {
      this.#buffer = this.#pool.take();
      this.#started = Date.now();
    }
    const left = this.#chunk.end - this.#chunk.start - this.#chunk.received;
    const capacity = Math.min(this.#buffer.length, left);
    const fits = Math.min(bytes.length, capacity - this.filled);
    this.#buffer.set(fits === bytes.length ? bytes : bytes.subarray(0, fits), this.filled);
    this.filled += fits;
    if (this.filled === capacity || Date.now() - this.#started >= BATCH_MAX_AGE_MS) await this.flush();
    if (fits < bytes.length) await this.add(bytes.subarray(fits));
  }

  /** Hands on what is gathered; the buffer goes back to the pool once `accept` is done with it. */
  async flush(): Promise<void> {
    const buffer = this.#buffer;
    if (buffer === undefined) return;
    const filled = this.filled;
    this.#buffer = undefined;
    this.filled = 0;
    try {
      if (filled > 0) await this.#accept(this.#chunk, buffer.subarray(0, filled));
    } finally {
      (this.#pool as BufferPool).give(buffer);
    }
  }
}
