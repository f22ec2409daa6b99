// One source of a multi-source pull (multi-source.ts) as the scheduler sees it: its
// connection slots, what it delivered and how fast per connection, its recent failures
// (a cool-down before it is tried again) and, once it is out for good, why; and which
// of several to ask next.

import type { BlobSource } from "./types.ts";

/** What a caller names a source by, and how it reaches it. */
export interface SourceSpec {
  /** Shown in progress and messages, e.g. the mirror's URL or "registry". */
  name: string;
  source: BlobSource;
  /** Requests at once to this source. */
  connections: number;
}

/** A source's figures for progress displays (plain data). */
export interface SourceStats {
  name: string;
  /** Body bytes received from it (a race's losing bytes included). */
  bytes: number;
  /** Over the last few seconds, all its connections together. */
  bytesPerSecond: number;
  /** Requests running on it now. */
  active: number;
  /** Blobs it was skipped for (it answered 404 or refused them). */
  skipped: number;
  /** Why it was dropped for the rest of the pull, if it was. */
  dropped?: string;
}

/** Failures in a row, without a byte delivered in between, before a source is dropped. */
export const FAILURES_TO_DROP = 3;
const WINDOW_MS = 3000;
/** Weight of a new per-connection speed sample in the running average. */
const EWMA = 0.3;

export class SourceMeter {
  readonly name: string;
  readonly source: BlobSource;
  readonly slots: number;
  active = 0;
  bytes = 0;
  /** Bytes per second of one connection, averaged over finished bodies; undefined until measured. */
  perConnection: number | undefined;
  failures = 0;
  coolUntil = 0;
  dropped: string | undefined;
  /** Since when a slot has stood free (undefined while all are busy). */
  idleSince: number | undefined;
  /** Digest → why this source is out for that blob. */
  readonly out = new Map<string, string>();
  readonly #recent: { at: number; bytes: number }[] = [];

  constructor(spec: SourceSpec, now: number) {
    this.name = spec.name;
    this.source = spec.source;
    this.slots = Math.max(1, spec.connections);
    this.idleSince = now;
  }

  /** May it take a request for `digest` now (a free slot, not cooling down, not out)? */
  usable(digest: string, now: number): boolean {
    return this.eligible(digest) && this.active < this.slots && now >= this.coolUntil;
  }

  /** Could it ever serve `digest` again in this pull? */
  eligible(digest: string): boolean {
    return this.dropped === undefined && !this.out.has(digest);
  }

  acquire(): void {
    this.active++;
    if (this.active >= this.slots) this.idleSince = undefined;
  }

  release(now: number): void {
    this.active--;
    this.idleSince ??= now;
  }

  received(bytes: number, now: number): void {
    this.bytes += bytes;
    this.failures = 0;
    this.#recent.push({ at: now, bytes });
    while (this.#recent.length > 0 && this.#recent[0].at < now - WINDOW_MS) this.#recent.shift();
  }

  /** A body's speed on one connection, once it has run long enough to say something. */
  sample(bytesPerSecond: number): void {
    this.perConnection = this.perConnection === undefined ? bytesPerSecond : this.perConnection * (1 - EWMA) + bytesPerSecond * EWMA;
  }

  /** A transient failure: cool down, doubling with each in a row; true when that makes FAILURES_TO_DROP. */
  failed(now: number): boolean {
    this.failures++;
    this.coolUntil = now + 250 * 2 ** Math.min(this.failures, 6);
    return this.failures >= FAILURES_TO_DROP;
  }

  /** All its connections together over the last few seconds. */
  recentRate(now: number): number {
    const recent = this.#recent.filter((r) => r.at >= now - WINDOW_MS);
    const first = recent[0]?.at ?? now;
    return (recent.reduce((n, r) => n + r.bytes, 0) * 1000) / Math.max(1000, now - first);
  }

  stats(now: number): SourceStats {
    const out: SourceStats = {
      name: this.name,
      bytes: this.bytes,
      bytesPerSecond: Math.round(this.recentRate(now)),
      active: this.active,
      skipped: this.out.size,
    };
    if (this.dropped !== undefined) out.dropped = this.dropped;
    return out;
  }
}

/**
 * The unmeasured first, the least busy of them (to measure them all), then the fastest
 * per connection (a source capped as a whole slows per connection as it takes more).
 */
export function bestSource(meters: readonly SourceMeter[]): SourceMeter | undefined {
  let pick: SourceMeter | undefined;
  for (const m of meters) {
    const better = pick === undefined || (m.perConnection === undefined
      ? pick.perConnection !== undefined || m.active < pick.active
      : pick.perConnection !== undefined && m.perConnection > pick.perConnection);
    if (better) pick = m;
  }
  return pick;
}
