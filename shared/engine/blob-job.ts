// One blob written into a random-access sink: its chunks are written at their final
// offsets as they arrive, in any order, while its SHA-256 advances strictly in order
// (the hash cursor). A piece that lands at the cursor is hashed at once; one ahead of
// it is read back from the sink later, or, if the sink cannot read, held in memory
// within the budget. When the cursor reaches the end the digest is compared: a
// mismatch restarts it (blob-mend.ts: from scratch, or only a liar's chunks).
//
// The hashing behind the cursor (the pump) runs beside the fetchers: one that wrote a
// piece ahead of the cursor goes back to its socket at once (waiting for the pump, a
// layer's 8 connections took turns with its read-back). Only the budget holds them back.

import { DockerdlError } from "../errors.ts";
import type { TarBlobSegment } from "../tar.ts";
import { BATCH_SIZE, type BufferPool } from "./batch.ts";
import type { Chunk } from "./chunks.ts";
import type { HeldBytes } from "../http.ts";
import type { MemoryBudget } from "./memory.ts";
import type { ProgressTracker } from "./progress.ts";
import type { BlobState, BlobHasher, BlobHasherFactory, CorruptVerdict, RandomAccessSink } from "./types.ts";
import { BlobRetries } from "./blob-mend.ts";
import { fromBase64, toBase64 } from "./util.ts";

/**
 * Read-back size: large enough to be cheap, small enough to stay out of the budget. A
 * pump reads back, then hashes, then reads the next: each read is a round trip to the
 * file, so fewer and larger reads keep one big layer's hash moving (reading back into
 * the 512 KiB batch buffers made a 2 GiB layer about a tenth slower). A pump holds one such buffer
 * from its first read back to its end, from `readBacks`, so the buffers held are bounded
 * by the pumps running, not by the layers being read back.
 */
export const READ_BACK = 1 << 20;

export interface BlobJobDeps {
  sink: RandomAccessSink;
  budget: MemoryBudget;
  progress: ProgressTracker;
  createHasher: BlobHasherFactory;
  /** Puts chunks back in the queue after a digest mismatch. */
  requeue: (chunks: Chunk[]) => void;
  /** After a digest mismatch: who lied, and where (the source's `corrupt`; `mend`: the blob may be read back). */
  suspect?: (mend: boolean) => Promise<CorruptVerdict | undefined>;
  /** A pump that ran on its own failed (reading back): the download fails with it. */
  fail: (error: unknown) => void;
  /** The blob was just verified (worth a checkpoint at once). */
  verifiedNow?: () => void;
  /** Once aborted, the pump stops at its next step. */
  signal: AbortSignal;
  /** The fetchers' batch buffers, which a piece ahead of the cursor stays in until hashed. */
  buffers?: BufferPool;
  /** Buffers of READ_BACK bytes to read back into, one per pump that reads back. */
  readBacks?: BufferPool;
}

export class BlobJob {
  readonly segment: TarBlobSegment;
  chunks: Chunk[];
  hashed = 0;
  verified = false;
  readonly #retries = new BlobRetries();
  #hasher?: BlobHasher;
  #pumping: Promise<void> | null = null;
  #again = false;
  /** While a digest is on its way (a hasher in another thread): the state before it, for checkpoints. */
  #beforeDigest: Promise<Uint8Array> | Uint8Array | undefined;
  /** Blob position → bytes written but not hashed yet (only without sink.read): a pooled copy, or bytes the runtime holds. */
  readonly #unhashed = new Map<number, Uint8Array<ArrayBuffer> | HeldBytes>();
  readonly #sink: RandomAccessSink;
  readonly #budget: MemoryBudget;
  readonly #progress: ProgressTracker;
  readonly #createHasher: BlobHasherFactory;
  readonly #deps: BlobJobDeps;
  /** The running pump's read-back buffer, from its first read back to its end. */
  #readBack: Uint8Array<ArrayBuffer> | undefined;

  constructor(segment: TarBlobSegment, chunks: Chunk[], deps: BlobJobDeps) {
    this.segment = segment;
    this.chunks = chunks;
    this.#sink = deps.sink;
    this.#budget = deps.budget;
    this.#progress = deps.progress;
    this.#createHasher = deps.createHasher;
    this.#deps = deps;
  }

  get digest(): string {
    return this.segment.key;
  }

  /** Applies a saved state; returns the bytes it saves refetching. */
  async restore(state: BlobState | undefined): Promise<number> {
    if (state === undefined) return 0;
    if (state.verified) {
      for (const c of this.chunks) c.received = c.end - c.start;
      this.hashed = this.segment.size;
      this.verified = true;
      this.#progress.verified(this.digest);
      return this.segment.size;
    }
    let hashed = 0;
    if (state.hasher !== undefined && state.hashed > 0 && state.hashed <= this.segment.size) {
      try {
        const hasher = await this.#createHasher();
        hasher.init?.();
        if (hasher.load === undefined) throw new Error("this hasher cannot load a state");
        hasher.load(fromBase64(state.hasher));
        this.#hasher = hasher;
        hashed = state.hashed;
      } catch {
        hashed = 0; // a hasher state from another build: refetch this blob
      }
    }
    this.hashed = hashed;
    const canRead = this.#sink.read !== undefined;
    let restored = 0;
    this.chunks.forEach((c, i) => {
      const length = c.end - c.start;
      const upToCursor = Math.min(length, Math.max(0, hashed - c.start));
      // Written beyond the cursor is only usable when it can be read back for hashing.
      const saved = canRead ? Math.min(length, Math.max(upToCursor, state.received[i] ?? 0)) : upToCursor;
      // Keep chunks contiguous from the cursor's point of view: a chunk's bytes count only from its start.
      c.received = saved;
      restored += saved;
    });
    this.#progress.add(this.digest, restored);
    return restored;
  }

  /** The state as it is when called (a hasher in another thread answers save() in call order). */
  async state(): Promise<BlobState> {
    const out: BlobState = { hashed: this.hashed, received: this.chunks.map((c) => c.received), verified: this.verified };
    const hasher = this.#hasher;
    const saving = !this.verified && hasher?.save !== undefined && this.hashed > 0 ? (this.#beforeDigest ?? hasher.save()) : undefined;
    if (saving !== undefined) out.hasher = toBase64(await saving);
    // Without a saved hash state, the cursor must start over (from written data).
    if (out.hasher === undefined && !this.verified) out.hashed = 0;
    return out;
  }

  /**
   * A piece of `chunk` arrived: write it at its place, hash it if it is at the cursor,
   * and set the pump going for what follows (not waited for). Nothing of `bytes` is
   * kept once this settles (the caller reuses the buffer): with a sink that reads back,
   * a piece at the cursor is hashed here, one ahead of it is read back later; without,
   * a copy is held (in a buffer from the pool) until the pump hashes it. Bytes the
   * runtime holds (a range read whole: BodyReader.readHeld) go to the sink's writeHeld
   * and the hasher's updateHeld instead, and wait for the pump as they are.
   */
  async accept(chunk: Chunk, bytes: Uint8Array | HeldBytes): Promise<void> {
    const position = chunk.start + chunk.received;
    const size = sizeOf(bytes);
    await this.#write(this.segment.offset + position, bytes);
    chunk.received += size;
    this.#progress.add(this.digest, size);
    if (this.#sink.read === undefined) {
      this.#unhashed.set(position, bytes instanceof Uint8Array ? this.#copy(bytes) : bytes);
      this.#budget.hold(size);
    } else if (position === this.hashed && this.#pumping === null && !this.verified) {
      const hasher = await this.#currentHasher();
      // Still at the cursor after that wait: nothing else hashes while no pump runs.
      if (position === this.hashed && this.#pumping === null) {
        const hashing = hashInto(hasher, bytes);
        this.hashed += size;
        await hashing;
      }
    }
    this.kick();
  }

  /** Runs the pump on its own: nobody waits for it here, a failure fails the download. */
  kick(): void {
    this.pump().catch(this.#deps.fail);
  }

  /** May `chunk`'s fetcher read on while the budget is spent? Only at the hash cursor. */
  isAtCursor(chunk: Chunk): boolean {
    return chunk.start <= this.hashed && this.hashed < chunk.end;
  }

  /** Runs the in-order hasher as far as written data allows; one pump at a time. */
  pump(): Promise<void> {
    if (this.#pumping !== null) {
      this.#again = true;
      return this.#pumping;
    }
    this.#pumping = (async () => {
      try {
        do {
          this.#again = false;
          while (await this.#step()) this.#budget.changed.notify();
        } while (this.#again);
      } finally {
        this.#pumping = null;
        if (this.#readBack !== undefined) this.#deps.readBacks?.give(this.#readBack);
        this.#readBack = undefined;
      }
    })();
    return this.#pumping;
  }

  async #step(): Promise<boolean> {
    if (this.verified || this.#deps.signal.aborted) return false;
    if (this.hashed === this.segment.size) {
      await this.#finish();
      return false;
    }
    const hasher = await this.#currentHasher();
    const held = this.#unhashed.get(this.hashed);
    if (held !== undefined) {
      this.#unhashed.delete(this.hashed);
      const hashing = hashInto(hasher, held);
      this.hashed += sizeOf(held);
      this.#budget.release(sizeOf(held));
      await hashing;
      if (held instanceof Uint8Array) this.#deps.buffers?.give(held);
      return true;
    }
    const read = this.#sink.read;
    if (read === undefined) return false;
    const chunk = this.chunks.find((c) => c.start <= this.hashed && this.hashed < c.end);
    const available = chunk === undefined ? 0 : chunk.start + chunk.received - this.hashed;
    if (available <= 0) return false;
    // One a read lost (transferred, then failed) is replaced.
    if (this.#readBack?.byteLength !== READ_BACK) this.#readBack = this.#deps.readBacks?.take() ?? new Uint8Array(READ_BACK);
    const into = this.#readBack;
    const length = Math.min(available, into.length);
    const bytes = await read.call(this.#sink, this.segment.offset + this.hashed, length, into);
    if (bytes.length !== length) {
      throw new DockerdlError("WRITE_FAILED", `reading back ${length} bytes of ${this.digest} from the output gave ${bytes.length}`, {
        hint: "the output file changed under the download; run it again",
      });
    }
    const hashing = hasher.update(bytes);
    this.hashed += length;
    this.#dropUnhashedBelowCursor();
    await hashing;
    return true;
  }

  async #finish(): Promise<void> {
    const hasher = await this.#currentHasher();
    // A hasher's state cannot be saved once it has digested; a checkpoint meanwhile keeps this one.
    const before = hasher.save?.();
    if (before instanceof Promise) before.catch(() => {}); // a checkpoint, if any, sees the failure
    this.#beforeDigest = before;
    let actual: string;
    try {
      actual = `sha256:${await hasher.digest("hex")}`;
    } finally {
      this.#beforeDigest = undefined;
    }
    if (actual === this.digest) {
      this.verified = true;
      this.#hasher = undefined;
      this.#progress.verified(this.digest);
      this.#deps.verifiedNow?.();
      return;
    }
    // A digested hasher is spent: a checkpoint while the sources are asked must not save it.
    this.#hasher = undefined;
    this.hashed = 0;
    const mend = this.#retries.mayMend(this.#sink.read !== undefined);
    this.chunks = this.#retries.chunksAfter(this.segment, actual, this.chunks, await this.#deps.suspect?.(mend), mend);
    for (const [, bytes] of this.#unhashed) this.#release(bytes);
    this.#unhashed.clear();
    const kept = this.chunks.reduce((n, c) => n + c.received, 0);
    this.#progress.reset(this.digest);
    this.#progress.add(this.digest, kept);
    this.#deps.requeue(this.chunks.filter((c) => c.received === 0));
    // What is kept is hashed again from the file at once, not when the next piece arrives.
    this.#again = kept > 0;
  }

  /** The blob's hasher, created once even when two callers ask at the same time. */
  async #currentHasher(): Promise<BlobHasher> {
    if (this.#hasher === undefined) {
      const created = await this.#newHasher();
      this.#hasher ??= created;
    }
    return this.#hasher;
  }

  async #newHasher(): Promise<BlobHasher> {
    const hasher = await this.#createHasher();
    hasher.init?.();
    return hasher;
  }

  #dropUnhashedBelowCursor(): void {
    for (const [position, bytes] of this.#unhashed) {
      if (position < this.hashed) {
        this.#unhashed.delete(position);
        this.#release(bytes);
      }
    }
  }

  /** A piece let go unhashed: out of the budget, its buffer back to the pool. */
  #release(bytes: Uint8Array<ArrayBuffer> | HeldBytes): void {
    this.#budget.release(sizeOf(bytes));
    if (bytes instanceof Uint8Array) this.#deps.buffers?.give(bytes);
  }

  /** A copy of `bytes` to hold until hashed, in a buffer from the pool where it fits one. */
  #copy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
    const pooled = bytes.length <= BATCH_SIZE ? this.#deps.buffers?.take() : undefined;
    pooled?.set(bytes);
    return pooled?.subarray(0, bytes.length) ?? bytes.slice();
  }

  async #write(position: number, bytes: Uint8Array | HeldBytes): Promise<void> {
    try {
      if (bytes instanceof Uint8Array) await this.#sink.write(position, bytes);
      else if (this.#sink.writeHeld !== undefined) await this.#sink.writeHeld(position, bytes);
      else throw new DockerdlError("WRITE_FAILED", "held bytes reached a sink without writeHeld", { hint: "this is a bug in dockerdl's engine" });
    } catch (error) {
      throw writeError(error);
    }
  }
}

function sizeOf(bytes: Uint8Array | HeldBytes): number {
  return bytes instanceof Uint8Array ? bytes.length : bytes.size;
}

/** Feeds `bytes` to `hasher`: its update, or its updateHeld for bytes the runtime holds. */
function hashInto(hasher: BlobHasher, bytes: Uint8Array | HeldBytes): unknown {
  if (bytes instanceof Uint8Array) return hasher.update(bytes);
  if (hasher.updateHeld === undefined) {
    throw new DockerdlError("WRITE_FAILED", "held bytes reached a hasher without updateHeld", { hint: "this is a bug in dockerdl's engine" });
  }
  return hasher.updateHeld(bytes);
}

export function writeError(error: unknown): DockerdlError {
  if (error instanceof DockerdlError) return error;
  return new DockerdlError("WRITE_FAILED", `writing the output failed: ${error instanceof Error ? error.message : String(error)}`, {
    hint: "check that the disk has room and the file is writable, then run the same command again to resume",
    cause: error,
  });
}
