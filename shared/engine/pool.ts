// Runs chunk fetches with a global connection limit, in file order unless told which to
// prefer, taking work that is queued while it runs (a blob restarted after a digest
// mismatch). The first failure aborts everything else; the pool settles only when every running task has stopped,
// so nothing writes to the sink after the download has returned.

import type { Chunk } from "./chunks.ts";

export class ChunkPool {
  readonly #queue: Chunk[];
  readonly #limit: number;
  readonly #run: (chunk: Chunk, ending: () => void) => Promise<void>;
  readonly #abort: (error: unknown) => void;
  readonly #pick: (queue: readonly Chunk[]) => number;
  readonly #early: number;
  #active = 0;
  /** Running tasks that said they are in their last round trip: they leave their place to the next. */
  #ending = 0;
  #failure: { error: unknown } | undefined;
  #settle?: { resolve: () => void; reject: (e: unknown) => void };

  /**
   * `pick` chooses which queued chunk starts next (default: the first, in file order), or
   * none for now (-1): then `poke` when that may have changed. It must pick one when no
   * task runs.
   * A task may call its `ending` callback when it is about to finish: up to `early` tasks
   * then start beyond the limit, so the next request's round trip overlaps the last bytes.
   */
  constructor(
    queue: Chunk[], limit: number, run: (chunk: Chunk, ending: () => void) => Promise<void>, abort: (error: unknown) => void,
    options: { pick?: (queue: readonly Chunk[]) => number; early?: number } = {},
  ) {
    this.#queue = queue;
    this.#limit = Math.max(1, limit);
    this.#run = run;
    this.#abort = abort;
    this.#pick = options.pick ?? (() => 0);
    this.#early = options.early ?? 0;
  }

  /** Takes `chunk` off the queue, for a running task to fill (a body that runs on); false if it is not queued. */
  take(chunk: Chunk): boolean {
    const index = this.#queue.indexOf(chunk);
    if (index < 0) return false;
    this.#queue.splice(index, 1);
    return true;
  }

  /** What `pick` would choose may have changed: start what may start. */
  poke(): void {
    this.#fill();
  }

  /** Re-fetch these first: they block a hash cursor. */
  requeue(chunks: Chunk[]): void {
    this.#queue.unshift(...chunks);
    this.#fill();
  }

  run(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#settle = { resolve, reject };
      this.#fill();
    });
  }

  #fill(): void {
    if (this.#settle === undefined) return;
    if (this.#failure === undefined) {
      while (this.#active - this.#ending < this.#limit && this.#queue.length > 0) {
        const index = this.#pick(this.#queue);
        if (index < 0 && this.#active > 0) break;
        const chunk = this.#queue.splice(Math.max(0, index), 1)[0];
        this.#active++;
        let ending = false;
        const end = () => {
          if (ending || this.#ending >= this.#early) return;
          ending = true;
          this.#ending++;
          this.#fill();
        };
        const settled = () => {
          this.#active--;
          if (ending) this.#ending--;
        };
        this.#run(chunk, end).then(
          () => {
            settled();
            this.#fill();
          },
          (error: unknown) => {
            settled();
            if (this.#failure === undefined) {
              this.#failure = { error };
              this.#abort(error);
            }
            this.#fill();
          },
        );
      }
    }
    if (this.#active > 0) return;
    if (this.#failure !== undefined) this.#settle.reject(this.#failure.error);
    else if (this.#queue.length === 0) this.#settle.resolve();
  }
}
