// One pull from several sources at once (issue #29): a BlobSource over several others
// (the registry, mirrors), since a blob's digest proves its bytes whoever served them.
// Each range goes to a source with a free connection slot, the unmeasured first, then
// the fastest per connection, so fast sources take more of the work as they finish
// theirs sooner. A source that answers 404 or refuses a blob is out for that blob; one
// that fails, stalls or times out cools down, goes on elsewhere (multi-body.ts) and,
// failing FAILURES_TO_DROP times in a row, is dropped. Near the end, when a source
// stands idle while a slower one holds a range, the idle one races it. When a blob
// fails its digest the engine calls `corrupt` before it refetches: the ranges each
// source served are fetched again elsewhere and compared (source-blame.ts), the one that
// sent wrong bytes is dropped and named, and the ranges it served are the engine's to
// fetch again (from the others); the rest of the blob as written is good. Two sources
// whose liar cannot be told are named as disagreeing, and neither is dropped.
// Pure: no Node, DOM or Workers APIs.

import { DockerdlError } from "../errors.ts";
import { isTransient } from "../registry/errors.ts";
import { cancelled } from "../retry.ts";
import { Leg, MultiBody, runOnBody, type LegHost } from "./multi-body.ts";
import { investigate, ServedLog } from "./source-blame.ts";
import { bestSource, FAILURES_TO_DROP, SourceMeter, type SourceSpec, type SourceStats } from "./source-meter.ts";
import type { BlobHasherFactory, BlobSource, CorruptContext, CorruptVerdict, RangeBody } from "./types.ts";

export type { SourceSpec, SourceStats };

export type SourceEvent =
  | { kind: "skipped"; source: string; digest: string; reason: string }
  | { kind: "dropped"; source: string; reason: string }
  | { kind: "blamed"; source: string; digest: string; start: number; end: number; reason: string }
  /** Two sources sent different bytes and which one lied cannot be told: neither is blamed. */
  | { kind: "disagree"; sources: [string, string]; digest: string; start: number; end: number; reason: string };

export interface MultiSourceOptions {
  /** Hashes what each source served, to find who lied when a blob fails its digest. */
  createHasher: BlobHasherFactory;
  onEvent?(event: SourceEvent): void;
  /** No byte for this long (or no answer) and a request is given up on that source (default 20 s). */
  stallMs?: number;
  /** How often the scheduler looks for stalls and races (default 250 ms). */
  tickMs?: number;
  /** A race starts only when the idle source would finish at least this much sooner (default 2x)… */
  raceGain?: number;
  /** …and the slow one has at least this long left (default 1 s). */
  raceMinMs?: number;
  now?: () => number;
}

export class MultiSource implements BlobSource, LegHost {
  /** Its scheduler stops a leg that sends nothing for stallMs and goes on elsewhere. */
  readonly watchesStalls = true;
  readonly #meters: SourceMeter[];
  readonly #options: MultiSourceOptions;
  readonly #served = new ServedLog();
  readonly #investigations = new Map<string, Promise<void>>();
  /** Sources caught sending wrong bytes: whatever else of theirs is in a failing blob goes too. */
  readonly #liars = new Set<SourceMeter>();
  /** Blobs two sources were found to disagree on: said once, though every try finds it again. */
  readonly #disputed = new Set<string>();
  readonly #bodies = new Set<MultiBody>();
  readonly #waiters = new Set<() => void>();
  readonly #pending = new Set<Leg>();
  /** Bodies a race is being opened for (open is async; the next tick must not open a second). */
  readonly #racing = new Set<MultiBody>();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(sources: readonly SourceSpec[], options: MultiSourceOptions) {
    if (sources.length === 0) throw new DockerdlError("USAGE", "a multi-source pull needs at least one source", { hint: "give a mirror with --mirror, or leave out --no-direct" });
    this.#options = options;
    const now = this.now();
    this.#meters = sources.map((s) => new SourceMeter(s, now));
  }

  /** Requests the engine should run at once: every source's slots. */
  get connections(): number {
    return this.#meters.reduce((n, m) => n + m.slots, 0);
  }

  now(): number {
    return (this.#options.now ?? Date.now)();
  }

  stats(): SourceStats[] {
    const now = this.now();
    return this.#meters.map((m) => m.stats(now));
  }

  async fetchRange(digest: string, start: number, end: number, signal: AbortSignal): Promise<RangeBody> {
    await this.#investigations.get(digest);
    const leg = await this.open(digest, start, end, signal, new Set(), true);
    if (leg === undefined) throw this.#nothingLeft(digest);
    if (leg.runsOn === true) return runOnBody(this, digest, leg);
    const body = new MultiBody(this, digest, leg, signal);
    this.#bodies.add(body);
    this.#startTimer();
    return body;
  }

  /** Told by the engine: with a sink that reads back, served ranges are hashed only when investigated. */
  prepare(download: { readBack: boolean }): void {
    this.#served.readBack = download.readBack;
  }

  /** The engine found `digest` corrupt: who lied, and what of it to fetch again (from the others). */
  corrupt(digest: string, context: CorruptContext): Promise<CorruptVerdict | undefined> {
    const work = this.#investigate(digest, context);
    this.#investigations.set(digest, work.then(() => {}, () => {}));
    return work.finally(() => this.#investigations.delete(digest));
  }

  /**
   * Only the piece the liar was caught on is fetched again first: one flipped chunk costs
   * a chunk. If the blob still fails, all else the liar served goes next, unchecked.
   */
  async #investigate(digest: string, context: CorruptContext): Promise<CorruptVerdict | undefined> {
    const left = this.#served.of(digest).filter((s) => this.#liars.has(s.meter));
    if (left.length > 0 && context.read !== undefined) {
      this.#served.forget(digest, this.#liars);
      return { liars: [...new Set(left.map((s) => s.meter.name))], wrong: left.map(({ start, end }) => ({ start, end })) };
    }
    const caught = await investigate(digest, this.#served.of(digest), {
      others: (exclude) => this.#meters.filter((m) => m.eligible(digest) && !exclude.has(m)),
      blame: (meter, start, end, reason) => {
        this.#drop(meter, `it sent wrong bytes for ${digest} (bytes ${start}-${end}): ${reason}`);
        this.#options.onEvent?.({ kind: "blamed", source: meter.name, digest, start, end, reason });
      },
      disagree: (meters, start, end, reason) => {
        if (this.#disputed.has(digest)) return;
        this.#disputed.add(digest);
        this.#options.onEvent?.({ kind: "disagree", sources: [meters[0].name, meters[1].name], digest, start, end, reason });
      },
    }, { createHasher: this.#options.createHasher, signal: context.signal, ...(context.read ? { read: context.read } : {}) }).catch(() => undefined);
    // Only a blob the engine can read back is mended in place; any other starts over.
    if (caught === undefined || context.read === undefined) {
      this.#served.forget(digest);
      return caught === undefined ? undefined : { liars: [caught.liar.name], wrong: [] };
    }
    this.#liars.add(caught.liar);
    // Caught on a piece the file does not hold from it, or proven wrong over all it served:
    // what it did serve is to be fetched again at once.
    if (!caught.written || caught.all === true) return this.#investigate(digest, context);
    this.#served.cut(digest, caught.start, caught.end);
    return { liars: [caught.liar.name], wrong: [{ start: caught.start, end: caught.end }] };
  }

  /** Stops the scheduler's timer; running bodies are the engine's to finish or cancel. */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async open(digest: string, start: number, end: number, signal: AbortSignal, exclude: ReadonlySet<SourceMeter>, first = false): Promise<(Leg & { runsOn?: boolean }) | undefined> {
    for (;;) {
      if (signal.aborted) throw cancelled(signal);
      const now = this.now();
      const candidates = this.#meters.filter((m) => m.eligible(digest) && !exclude.has(m));
      if (candidates.length === 0) return undefined;
      const meter = bestSource(candidates.filter((m) => m.usable(digest, now)));
      if (meter === undefined) {
        await this.#slotFreed(signal, Math.max(0, Math.min(...candidates.map((m) => m.coolUntil)) - now));
        continue;
      }
      meter.acquire();
      const controller = new AbortController();
      const legSignal = AbortSignal.any([signal, controller.signal]);
      const leg = new Leg(meter, { read: async () => ({ done: true }), cancel: async () => {}, releaseLock() {} }, controller, start, end, now);
      this.#pending.add(leg);
      this.#startTimer();
      let body: RangeBody;
      try {
        body = await meter.source.fetchRange(digest, start, end, legSignal);
      } catch (error) {
        this.#pending.delete(leg);
        meter.release(this.now());
        this.#wake();
        if (signal.aborted) throw cancelled(signal);
        this.failed(meter, digest, leg.stopped ?? error);
        // The engine's own retry (with its backoff) when no other source is there to try.
        if (isTransient(error) && this.#meters.every((m) => m === meter || !m.eligible(digest) || exclude.has(m))) throw error;
        continue;
      }
      this.#pending.delete(leg);
      const ready = new Leg(meter, body.getReader(), controller, start, end, leg.opened);
      return first && body.runsOn === true ? Object.assign(ready, { runsOn: true }) : ready;
    }
  }

  record(digest: string, meter: SourceMeter, start: number, bytes: Uint8Array): Promise<void> | undefined {
    return this.#served.record(digest, meter, start, bytes, this.#options.createHasher);
  }

  failed(meter: SourceMeter, digest: string, error: unknown): void {
    this.#wake();
    if (meter.dropped !== undefined) return;
    const why = error instanceof Error ? error.message : String(error);
    // A body that breaks (a reset) fails with the runtime's own error: a network fault.
    if (error instanceof DockerdlError && !isTransient(error)) {
      meter.out.set(digest, why);
      this.#options.onEvent?.({ kind: "skipped", source: meter.name, digest, reason: why });
      return;
    }
    if (meter.failed(this.now())) this.#drop(meter, `${FAILURES_TO_DROP} failures in a row, the last: ${why}`);
  }

  #drop(meter: SourceMeter, reason: string): void {
    if (meter.dropped !== undefined) return;
    meter.dropped = reason;
    this.#options.onEvent?.({ kind: "dropped", source: meter.name, reason });
    this.#wake();
  }

  #nothingLeft(digest: string): DockerdlError {
    const reasons = this.#meters.map((m) => `${m.name}: ${m.dropped ?? m.out.get(digest) ?? "unavailable"}`);
    const notFound = this.#meters.every((m) => m.dropped === undefined && /not found|404/i.test(m.out.get(digest) ?? ""));
    return new DockerdlError(notFound ? "NOT_FOUND" : "UPSTREAM", `no source can serve layer ${digest} — ${reasons.join("; ")}`, {
      hint: notFound ? "no source has this layer; check the image name, or add a source that has it (--mirror)" : "check the sources named; run the same command again to resume",
    });
  }

  #slotFreed(signal: AbortSignal, coolMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#waiters.delete(done);
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      };
      // A cooling source becomes usable by itself: look again then, slot or not.
      const timer = setTimeout(done, coolMs > 0 ? coolMs : this.#options.tickMs ?? 250);
      this.#waiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #startTimer(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick();
    }, this.#options.tickMs ?? 250);
    // A pull that ends (or fails) must not be kept alive by the scheduler (Node's timers).
    (this.#timer as { unref?: () => void }).unref?.();
  }

  #tick(): void {
    const now = this.now();
    const stallMs = this.#options.stallMs ?? 20_000;
    for (const body of [...this.#bodies]) {
      if (body.finished) {
        this.#bodies.delete(body);
        continue;
      }
      for (const leg of body.legs) {
        // Only while a read waits on it: the engine may hold off reading (its memory budget, a slow output).
        if (leg.pending !== undefined && !leg.answered && now - Math.max(leg.lastByte, leg.askedAt) > stallMs) stop(leg, `${leg.meter.name} sent nothing for ${Math.round(stallMs / 1000)} s`);
      }
    }
    for (const leg of this.#pending) if (now - leg.opened > stallMs) stop(leg, `${leg.meter.name} did not answer within ${Math.round(stallMs / 1000)} s`);
    if (this.#bodies.size > 0 || this.#pending.size > 0) this.#startTimer();
    this.#wake();
    void this.#race(now).catch(() => {});
  }

  /** Near the end: a source idle for a tick takes on the range a much slower one still holds. */
  async #race(now: number): Promise<void> {
    const idle = this.#meters.filter((m) => m.dropped === undefined && m.active < m.slots && m.idleSince !== undefined && now - m.idleSince >= (this.#options.tickMs ?? 250) && m.perConnection !== undefined);
    if (idle.length === 0) return;
    const gain = this.#options.raceGain ?? 2;
    for (const body of this.#bodies) {
      if (body.finished || body.legs.length !== 1 || this.#racing.has(body)) continue;
      const slow = body.legs[0];
      const left = body.end - body.delivered;
      const slowRate = Math.max(1, (slow.bytes * 1000) / Math.max(1, now - slow.opened));
      const fast = bestSource(idle.filter((m) => m !== slow.meter && m.usable(body.digest, now)));
      if (fast === undefined || fast.perConnection === undefined) continue;
      // A source capped as a whole runs faster per connection once it is idle: what it
      // delivered in all lately is the better guess then.
      const fastRate = Math.max(fast.perConnection, fast.recentRate(now));
      if ((left * 1000) / slowRate < (this.#options.raceMinMs ?? 1000) || left / slowRate < gain * (left / fastRate)) continue;
      this.#racing.add(body);
      try {
        const leg = await this.open(body.digest, body.delivered, body.end, new AbortController().signal, new Set(this.#meters.filter((m) => m !== fast))).catch(() => undefined);
        if (leg !== undefined) body.race(leg);
      } finally {
        this.#racing.delete(body);
      }
    }
  }
}

function stop(leg: Leg, why: string): void {
  leg.stopped ??= new DockerdlError("NETWORK", why, { hint: "the source is slow or stuck; another one takes over" });
  leg.controller.abort(leg.stopped);
  void leg.reader.cancel(leg.stopped).catch(() => {});
}
