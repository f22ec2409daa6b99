// A range request that goes quiet: no answer, or a body that stops sending while the
// connection stays open (a dropped route, a middlebox that forgets the flow, a server
// that hangs). Nothing errors then: a browser's fetch has no read timeout at all, and
// the download would sit at the same byte for good. So each attempt at a range is
// watched while it waits on the network (for the answer, for the next bytes, or for a
// body read whole), and a wait longer than the limit gives the attempt up as TRUNCATED:
// the engine retries it from the first missing byte. A body read whole (only from an
// origin measured fast, or as one probe: web/lib/held-bodies.ts) shows no bytes until it
// ends, so it must end within the limit; one that does not marks its origin slow, and
// the retry reads the range piece by piece. Time the engine spends not reading
// (a slow disk, the memory budget) is never counted: only a read that is asked for and
// unanswered. Checked on a timer a few times per limit, not per read: a read is a
// timestamp, not a timer.

import { RegistryError } from "../registry/errors.ts";

/**
 * How long a wait on the network may bring nothing before the attempt is retried: long
 * enough for five of TCP's doubling retransmission waits after a loss (1 + 2 + 4 + 8 + 16 s
 * from a 1 s timeout); wget's default read timeout is 900 s, curl has none.
 */
export const DEFAULT_STALL_MS = 60_000;

export class StallWatch {
  readonly #controller = new AbortController();
  /** The engine's signal and the watch's own: no listener on the engine's (many attempts run at once). */
  readonly #signal: AbortSignal;
  readonly #ms: number;
  readonly #what: () => string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the read now pending was asked for; undefined while none is. */
  #since: number | undefined;
  /** Whether that read is of a body whole (no bytes show until it ends). */
  #whole = false;
  #stalled: RegistryError | undefined;
  #onStall: (() => void) | undefined;

  /** Watches one attempt under `outer` (never when `ms` is 0); `what` names what it fetches, for the message. */
  constructor(outer: AbortSignal, ms: number, what: () => string) {
    this.#signal = AbortSignal.any([outer, this.#controller.signal]);
    this.#ms = ms;
    this.#what = what;
    if (ms > 0) this.#tick();
  }

  /** The attempt's signal: the engine's, and aborted as well when the attempt stalls. */
  get signal(): AbortSignal {
    return this.#signal;
  }

  /** Why the attempt was given up, once it stalled. */
  get stalled(): RegistryError | undefined {
    return this.#stalled;
  }

  /** Also done on a stall: for a body whose reads do not end when its request is aborted. */
  onStall(giveUp: () => void): void {
    this.#onStall = giveUp;
  }

  /** `wait` (an answer, the next bytes, or with `whole` a body read whole), timed while it is pending. */
  wait<T>(wait: Promise<T>, whole = false): Promise<T> {
    this.#since = Date.now();
    this.#whole = whole;
    return wait.then(
      (value) => {
        this.#since = undefined;
        return value;
      },
      (error: unknown) => {
        this.#since = undefined;
        throw error;
      },
    );
  }

  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }

  #tick(): void {
    this.#timer = setTimeout(() => {
      if (this.#stalled !== undefined || this.#signal.aborted) return;
      if (this.#since !== undefined && Date.now() - this.#since >= this.#ms) {
        const said = this.#whole
          ? `${this.#what()}, read whole, did not end within ${seconds(this.#ms)}`
          : `nothing arrived for ${seconds(this.#ms)} on ${this.#what()}: the connection went quiet`;
        this.#stalled = new RegistryError("TRUNCATED", said, {
          hint: "it is retried from the first missing byte; if this keeps happening, check the network or the proxy",
        });
        this.#controller.abort(this.#stalled);
        this.#onStall?.();
        return;
      }
      this.#tick();
    }, Math.max(10, Math.min(5_000, this.#ms / 4)));
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(2)} s`;
}
