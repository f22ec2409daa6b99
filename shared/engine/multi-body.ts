// The body a multi-source pull (multi-source.ts) hands the engine for one range: it
// reads from one source (a leg) and, when that source fails part way, goes on from the
// first missing byte on another, without the engine's backoff. Near the end of a pull
// a second leg on a faster idle source may race the first from where it stands: both
// are read, the one ahead supplies the bytes, the other's are dropped, and whichever
// reaches the end first wins (the other is cancelled). Every byte handed on is recorded
// with the source it came from, for blame if the blob fails its digest.

import { DockerdlError } from "../errors.ts";
import type { BodyReader } from "../http.ts";
import { RegistryError } from "../registry/errors.ts";
import type { SourceMeter } from "./source-meter.ts";
import type { RangeBody } from "./types.ts";

/** A running request on one source for [pos, end) of a blob. */
export class Leg {
  readonly meter: SourceMeter;
  readonly reader: BodyReader;
  readonly controller: AbortController;
  pos: number;
  readonly end: number;
  readonly opened: number;
  lastByte: number;
  /** When the read now pending was asked for, and whether it has its answer (waiting to be taken). */
  askedAt = 0;
  answered = false;
  bytes = 0;
  /** Set when the scheduler stops it (a stall): what to say about it. */
  stopped: DockerdlError | undefined;
  pending: Promise<{ leg: Leg; value?: Uint8Array; done?: boolean; error?: unknown }> | undefined;
  #closed = false;

  constructor(meter: SourceMeter, reader: BodyReader, controller: AbortController, start: number, end: number, now: number) {
    this.meter = meter;
    this.reader = reader;
    this.controller = controller;
    this.pos = start;
    this.end = end;
    this.opened = now;
    this.lastByte = now;
  }

  next(now: number): NonNullable<Leg["pending"]> {
    if (this.pending !== undefined) return this.pending;
    this.askedAt = now;
    this.answered = false;
    this.pending = this.reader.read().then(
      ({ value, done }) => {
        this.answered = true;
        return { leg: this as Leg, ...(value === undefined ? {} : { value }), ...(done === undefined ? {} : { done }) };
      },
      (error: unknown) => {
        this.answered = true;
        return { leg: this as Leg, error };
      },
    );
    return this.pending;
  }

  /** Releases its slot once; `finished`: it read to its end (its connection may be reused). */
  close(now: number, finished: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    if (finished) this.reader.releaseLock();
    else void this.reader.cancel().catch(() => {});
    const seconds = (this.lastByte - this.opened) / 1000;
    // Small bodies say more about latency than speed; a fast one may take under a millisecond.
    if (this.bytes >= 64 * 1024) this.meter.sample(this.bytes / Math.max(seconds, 0.001));
    this.meter.release(now);
  }
}

/** What a body needs from the multi-source that made it. */
export interface LegHost {
  /** A leg for [start, end) on the best usable source not in `exclude`; undefined when none is left (`lastError` then stands). */
  open(digest: string, start: number, end: number, signal: AbortSignal, exclude: ReadonlySet<SourceMeter>): Promise<Leg | undefined>;
  /** Bytes [start, start + bytes.length) of `digest` were handed on, from `meter`; a promise only while it hashes them. */
  record(digest: string, meter: SourceMeter, start: number, bytes: Uint8Array): Promise<void> | undefined;
  /** A leg failed with `error`; the source is cooled, dropped, or left out for the blob. */
  failed(meter: SourceMeter, digest: string, error: unknown): void;
  now(): number;
}

export class MultiBody implements RangeBody, BodyReader {
  readonly digest: string;
  readonly end: number;
  delivered: number;
  legs: Leg[];
  readonly #host: LegHost;
  readonly #signal: AbortSignal;
  /** Sources that failed this body: a failover goes elsewhere. */
  readonly #tried = new Set<SourceMeter>();
  #finished = false;

  constructor(host: LegHost, digest: string, first: Leg, signal: AbortSignal) {
    this.#host = host;
    this.digest = digest;
    this.end = first.end;
    this.delivered = first.pos;
    this.legs = [first];
    this.#signal = signal;
  }

  get finished(): boolean {
    return this.#finished;
  }

  getReader(): BodyReader {
    return this;
  }

  /** A second leg from `delivered` on another source, to race the slow one. */
  race(leg: Leg): void {
    if (this.#finished) leg.close(this.#host.now(), false);
    else this.legs.push(leg);
  }

  async read(): Promise<{ done?: boolean; value?: Uint8Array }> {
    for (;;) {
      if (this.delivered >= this.end) {
        this.#finish(true);
        return { done: true };
      }
      if (this.legs.length === 0) await this.#failover();
      const asked = this.#host.now();
      const { leg, value, done, error } = await Promise.race(this.legs.map((l) => l.next(asked)));
      leg.pending = undefined;
      const now = this.#host.now();
      if (error !== undefined || done === true || value === undefined) {
        // A body that ends before its range does is as good as broken.
        this.#drop(leg, leg.stopped ?? (error !== undefined ? error : truncated(this.digest, leg)), now);
        continue;
      }
      const from = leg.pos;
      leg.pos += value.length;
      leg.bytes += value.length;
      leg.lastByte = now;
      leg.meter.received(value.length, now);
      if (leg.pos <= this.delivered) continue; // the other leg of a race is ahead
      const piece = value.subarray(Math.max(0, this.delivered - from), value.length - Math.max(0, leg.pos - this.end));
      const at = this.delivered;
      this.delivered += piece.length;
      const recording = this.#host.record(this.digest, leg.meter, at, piece);
      if (recording !== undefined) await recording;
      // The first leg to reach the end wins: it closes cleanly, the others are cancelled.
      if (this.delivered >= this.end) this.#finish(leg.pos === this.end, leg);
      return { value: piece };
    }
  }

  async cancel(): Promise<void> {
    this.#finish(false);
  }

  releaseLock(): void {
    this.#finish(true);
  }

  #drop(leg: Leg, error: unknown, now: number): void {
    this.legs = this.legs.filter((l) => l !== leg);
    leg.close(now, false);
    this.#tried.add(leg.meter);
    if (!this.#signal.aborted) this.#host.failed(leg.meter, this.digest, error);
  }

  async #failover(): Promise<void> {
    if (this.#signal.aborted) throw this.#signal.reason;
    const leg = await this.#host.open(this.digest, this.delivered, this.end, this.#signal, this.#tried);
    if (leg === undefined) {
      throw new RegistryError("NETWORK", `no source is left to fetch bytes ${this.delivered}-${this.end} of ${this.digest} from`, { hint: "check the mirrors; run the same command again to resume" });
    }
    this.legs.push(leg);
  }

  #finish(cleanly: boolean, winner?: Leg): void {
    if (this.#finished && winner === undefined && this.legs.length === 0) return;
    this.#finished = true;
    const now = this.#host.now();
    for (const leg of this.legs) leg.close(now, cleanly && (winner === undefined || leg === winner) && leg.pos === leg.end && leg.pending === undefined);
    this.legs = [];
  }
}

function truncated(digest: string, leg: Leg): RegistryError {
  return new RegistryError("TRUNCATED", `${leg.meter.name}: the body of a range of ${digest} ended at byte ${leg.pos} of ${leg.end}`, { hint: "try again" });
}

/**
 * A source that ignored Range sends the blob on past the range: the engine reads on into
 * the following chunks (and range-gate.ts keeps it to one such body per blob), so this
 * body is handed on as it is, only counted and recorded; no failover or race.
 */
export function runOnBody(host: LegHost, digest: string, leg: Leg): RangeBody {
  const reader: BodyReader = {
    async read() {
      const result = await leg.reader.read().catch((error: unknown) => {
        leg.close(host.now(), false);
        host.failed(leg.meter, digest, error);
        throw error;
      });
      const { value } = result;
      if (result.done === true || value === undefined) return result;
      const now = host.now();
      leg.meter.received(value.length, now);
      leg.bytes += value.length;
      leg.lastByte = now;
      const at = leg.pos;
      leg.pos += value.length;
      const recording = host.record(digest, leg.meter, at, value);
      if (recording !== undefined) await recording;
      return { value };
    },
    async cancel() {
      leg.close(host.now(), false);
    },
    releaseLock() {
      leg.close(host.now(), true);
    },
  };
  return { runsOn: true, getReader: () => reader, cancel: () => reader.cancel() };
}
