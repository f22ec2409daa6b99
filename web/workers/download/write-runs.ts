// Positioned writes gathered into runs of contiguous bytes, each written with one call.
// Chromium's FileSystemWritableFileStream writes one call after another, and each call
// is a round trip to the browser process through several threads: the network's pieces
// (64–700 KiB) kept the file's write queue full and made it the download's bottleneck.
// Alone, 4 MiB writes go at 265 MB/s where 1 MiB ones go at 200 and 256 KiB ones at 150;
// in the bench, 8 MiB runs were no faster than 4 MiB ones within its noise (16 MiB ones
// perhaps 10 %, for four times the memory).
// A run is written when it is full, when it reaches a boundary (where a layer ends in the
// file: nothing continues it), when more runs are open than allowed (the one written to
// longest ago first), or at flush(); nothing given here is durable before flush() resolves.

export const RUN_SIZE = 4 << 20;

interface Run {
  start: number;
  buffer: Uint8Array;
  filled: number;
}

export class WriteRuns {
  /** Open runs by where they end: the position of the write that would continue them. */
  readonly #runs = new Map<number, Run>();
  readonly #free: Uint8Array[] = [];
  readonly #write: (position: number, data: Uint8Array) => Promise<void>;
  readonly #maxRuns: number;
  readonly #runSize: number;
  readonly #boundaries: ReadonlySet<number>;

  /**
   * `write` must be done with `data` when its promise settles: the buffer is reused.
   * A run that reaches one of `boundaries` is written at once.
   */
  constructor(write: (position: number, data: Uint8Array) => Promise<void>, maxRuns: number, options: { runSize?: number; boundaries?: Iterable<number> } = {}) {
    this.#write = write;
    this.#maxRuns = Math.max(1, maxRuns);
    this.#runSize = options.runSize ?? RUN_SIZE;
    this.#boundaries = new Set(options.boundaries);
  }

  /** Takes `data` for `position`; resolves once the caller may reuse `data`. */
  async write(position: number, data: Uint8Array): Promise<void> {
    let run = this.#runs.get(position);
    if (run !== undefined) {
      this.#runs.delete(position);
    } else {
      if (data.length >= this.#runSize) return this.#write(position, data);
      while (this.#runs.size >= this.#maxRuns) await this.#writeRun(this.#runs.entries().next().value as [number, Run]);
      run = { start: position, buffer: this.#free.pop() ?? new Uint8Array(this.#runSize), filled: 0 };
    }
    let offset = 0;
    while (offset < data.length) {
      const n = Math.min(data.length - offset, this.#runSize - run.filled);
      run.buffer.set(data.subarray(offset, offset + n), run.filled);
      run.filled += n;
      offset += n;
      if (run.filled === this.#runSize) {
        await this.#flushRun(run);
        run = { start: run.start + this.#runSize, buffer: this.#free.pop() ?? new Uint8Array(this.#runSize), filled: 0 };
      }
    }
    if (run.filled === 0) this.#release(run.buffer);
    else if (this.#boundaries.has(run.start + run.filled)) await this.#flushRun(run);
    else this.#runs.set(run.start + run.filled, run);
  }

  /** Writes every open run. */
  async flush(): Promise<void> {
    while (this.#runs.size > 0) await this.#writeRun(this.#runs.entries().next().value as [number, Run]);
  }

  /** Forgets every open run, unwritten (the file is being abandoned). */
  drop(): void {
    for (const run of this.#runs.values()) this.#release(run.buffer);
    this.#runs.clear();
  }

  async #writeRun([end, run]: [number, Run]): Promise<void> {
    this.#runs.delete(end);
    await this.#flushRun(run);
  }

  async #flushRun(run: Run): Promise<void> {
    try {
      await this.#write(run.start, run.buffer.subarray(0, run.filled));
    } finally {
      this.#release(run.buffer);
    }
  }

  #release(buffer: Uint8Array): void {
    if (this.#free.length < this.#maxRuns) this.#free.push(buffer);
  }
}
