// Filling a sequential sink (a stream): the archive is written strictly front to back,
// while chunks ahead of the write cursor are fetched in parallel and held in memory
// within the budget. Each blob is hashed as it is written. A blob found corrupt cannot
// be taken back out of a stream, so the download fails naming it (the consumer sees a
// broken stream, never a complete-looking one).

import { DockerdlError } from "../errors.ts";
import type { TarPlan } from "../tar.ts";
import { writeError } from "./blob-job.ts";
import type { Chunk } from "./chunks.ts";
import type { MemoryBudget } from "./memory.ts";
import type { ProgressTracker } from "./progress.ts";
import type { BlobHasherFactory, SequentialSink } from "./types.ts";
import { cancelled } from "../retry.ts";
import { Notifier } from "./util.ts";

export class SequentialAssembler {
  /** digest → blob position → bytes waiting to be written. */
  readonly #held = new Map<string, Map<number, Uint8Array>>();
  readonly #arrived = new Notifier();
  /** Where the writer is: a blob and a position in it, or none while writing headers. */
  #cursor: { digest: string; position: number } | undefined;
  readonly #budget: MemoryBudget;
  readonly #progress: ProgressTracker;

  constructor(budget: MemoryBudget, progress: ProgressTracker) {
    this.#budget = budget;
    this.#progress = progress;
  }

  async accept(chunk: Chunk, bytes: Uint8Array): Promise<void> {
    const position = chunk.start + chunk.received;
    let held = this.#held.get(chunk.digest);
    if (held === undefined) this.#held.set(chunk.digest, (held = new Map()));
    held.set(position, bytes);
    chunk.received += bytes.length;
    this.#budget.hold(bytes.length);
    this.#progress.add(chunk.digest, bytes.length);
    this.#arrived.notify();
  }

  isAtCursor(chunk: Chunk): boolean {
    const c = this.#cursor;
    if (c === undefined || c.digest !== chunk.digest) return false;
    return chunk.start <= c.position && c.position < chunk.end;
  }

  /** Wakes the writer so it sees a failure elsewhere (through the aborted signal). */
  wake(): void {
    this.#arrived.notify();
  }

  async write(plan: TarPlan, sink: SequentialSink, createHasher: BlobHasherFactory, signal: AbortSignal): Promise<void> {
    for (const segment of plan.segments) {
      if (signal.aborted) throw cancelled(signal);
      if (segment.kind === "bytes") {
        await this.#write(sink, segment.bytes);
        this.#progress.addInline(segment.bytes.length);
        continue;
      }
      const digest = segment.key;
      const hasher = await createHasher();
      hasher.init?.();
      this.#cursor = { digest, position: 0 };
      this.#budget.changed.notify();
      while (this.#cursor.position < segment.size) {
        const held = this.#held.get(digest);
        const bytes = held?.get(this.#cursor.position);
        if (held === undefined || bytes === undefined) {
          await this.#arrived.wait(signal);
          continue;
        }
        held.delete(this.#cursor.position);
        await this.#write(sink, bytes);
        await hasher.update(bytes);
        this.#cursor.position += bytes.length;
        this.#budget.release(bytes.length);
      }
      this.#held.delete(digest);
      const actual = `sha256:${await hasher.digest("hex")}`;
      if (actual !== digest) {
        throw new DockerdlError("DIGEST_MISMATCH", `layer ${digest} is corrupt: the ${segment.size} bytes received hash to ${actual}`, {
          hint: "the stream was stopped so no broken file is saved; try the download again",
          params: { digest }, // a caller over several sources asks them who lied (cli/write-archive.ts)
        });
      }
      this.#progress.verified(digest);
    }
    this.#cursor = undefined;
  }

  async #write(sink: SequentialSink, bytes: Uint8Array): Promise<void> {
    try {
      await sink.write(bytes);
    } catch (error) {
      throw writeError(error);
    }
  }
}
