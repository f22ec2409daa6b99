// Batched writes: a network hands over pieces of 64 KiB and less; gathered into one
// buffer of 512 KiB they become one write and one hash update instead of a few. The
// buffers are reused, since a fresh buffer per batch costs more than the copy into it
// (page faults on first touch, and work for the collector). Each connection fills one
// while the one before it is written, so the batches alive at once are about twice the
// connections: at 1 MiB they were a fifth of the CLI's peak RSS on a 2 GiB layer. At
// 512 KiB the peak is 2–4 MiB lower and a loopback pull about 4 % slower, by hand
// (issue #27: under 100 MiB).

import type { Chunk } from "./chunks.ts";

export const BATCH_SIZE = 1 << 19;
/** A batch is handed on at most this long after its first byte, so progress keeps moving on a slow link. */
const BATCH_MAX_AGE_MS = 200;

/** Buffers of one size to reuse, up to `keep` of them; taking one when none is free allocates. */
export class BufferPool {
  readonly #free: Uint8Array<ArrayBuffer>[] = [];
  readonly #keep: number;
  readonly size: number;

  constructor(keep: number, size = BATCH_SIZE) {
    this.#keep = keep;
    this.size = size;
  }

  take(): Uint8Array<ArrayBuffer> {
    return this.#free.pop() ?? new Uint8Array(this.size);
  }

  give(buffer: Uint8Array<ArrayBuffer>): void {
    // One a read into it lost (transferred, then failed) has no memory left to reuse.
    if (this.#free.length < this.#keep && buffer.buffer.byteLength === this.size) this.#free.push(new Uint8Array(buffer.buffer));
  }
}

/** The pieces of one chunk's response on their way to `accept`, gathered when there is a pool. */
export class Batch {
  filled = 0;
  #buffer: Uint8Array<ArrayBuffer> | undefined;
  #started = 0;
  readonly #chunk: Chunk;
  readonly #accept: (chunk: Chunk, bytes: Uint8Array) => Promise<void>;
  readonly #pool: BufferPool | undefined;

  constructor(chunk: Chunk, accept: (chunk: Chunk, bytes: Uint8Array) => Promise<void>, pool: BufferPool | undefined) {
    this.#chunk = chunk;
    this.#accept = accept;
    this.#pool = pool;
  }

  /** Whether pieces are gathered here (and may be read straight in: readFrom). */
  get pooled(): boolean {
    return this.#pool !== undefined;
  }

  async add(bytes: Uint8Array): Promise<void> {
    if (this.#pool === undefined) return this.#accept(this.#chunk, bytes);
    const buffer = this.#open();
    const capacity = this.#capacity(buffer);
    const fits = Math.min(bytes.length, capacity - this.filled);
    buffer.set(fits === bytes.length ? bytes : bytes.subarray(0, fits), this.filled);
    this.filled += fits;
    await this.added();
    if (fits < bytes.length) await this.add(bytes.subarray(fits));
  }

  /**
   * Reads the next piece from `pieces` straight into the buffer (no copy, nothing
   * allocated per piece where the body reads into: BodyReader.readInto) and counts it
   * as gathered; empty at the body's end. Call added() after it.
   */
  async readFrom(pieces: { readInto(into: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> }): Promise<Uint8Array> {
    const buffer = this.#open();
    const size = buffer.length; // before the read, which may transfer (detach) the buffer
    let bytes;
    try {
      bytes = await pieces.readInto(buffer.subarray(this.filled, this.#capacity(buffer)));
    } catch (error) {
      // A failed read may have taken the memory with it: what was gathered is gone then,
      // and the retry asks for it again (it was never counted as received).
      if (buffer.buffer.byteLength === 0) {
        this.#buffer = undefined;
        this.filled = 0;
      }
      throw error;
    }
    if (bytes.buffer.byteLength !== size) {
      // The body ended by being cancelled, and its last read kept the memory.
      this.#buffer = undefined;
      this.filled = 0;
      return bytes.subarray(0, 0);
    }
    this.#buffer = new Uint8Array(bytes.buffer);
    this.filled += bytes.length;
    return bytes;
  }

  /** Hands the gathered bytes on if the buffer is full or its first byte is old enough. */
  async added(): Promise<void> {
    const buffer = this.#buffer;
    if (buffer !== undefined && (this.filled === this.#capacity(buffer) || Date.now() - this.#started >= BATCH_MAX_AGE_MS)) await this.flush();
  }

  #open(): Uint8Array<ArrayBuffer> {
    if (this.#buffer === undefined) {
      this.#buffer = (this.#pool as BufferPool).take();
      this.#started = Date.now();
    }
    return this.#buffer;
  }

  #capacity(buffer: Uint8Array): number {
    return Math.min(buffer.length, this.#chunk.end - this.#chunk.start - this.#chunk.received);
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
