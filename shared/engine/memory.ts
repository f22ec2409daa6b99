// The memory budget: bytes that arrived ahead of where they can be used (a blob's hash
// cursor, a stream's write cursor) are held here. Fetchers ahead of the cursor wait
// while the budget is spent, which stops them reading from the network (backpressure);
// the fetcher at the cursor never waits, so the download cannot deadlock.

import { Notifier } from "./util.ts";

export class MemoryBudget {
  readonly limit: number;
  #used = 0;
  #peak = 0;
  readonly changed = new Notifier();

  constructor(limit: number) {
    this.limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  /** The most ever held at once, for tests and the bench. */
  get peak(): number {
    return this.#peak;
  }

  hold(bytes: number): void {
    this.#used += bytes;
    if (this.#used > this.#peak) this.#peak = this.#used;
  }

  release(bytes: number): void {
    this.#used -= bytes;
    this.changed.notify();
  }

  /** Waits while the budget is spent, unless `mayProceed` says this caller is at a cursor. */
  async waitForRoom(mayProceed: () => boolean, signal: AbortSignal): Promise<void> {
    while (this.#used > this.limit && !mayProceed()) await this.changed.wait(signal);
  }
}
