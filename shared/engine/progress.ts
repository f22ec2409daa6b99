// Progress bookkeeping: bytes done per layer and overall, speed over a sliding window
// (so a stall shows as a falling speed, not an average since the start) and the ETA.

import type { LayerProgress, Progress } from "./types.ts";

const WINDOW_MS = 3000;

export class ProgressTracker {
  readonly #total: number;
  readonly #layers: LayerProgress[];
  readonly #byDigest = new Map<string, LayerProgress>();
  #inline = 0;
  #samples: { t: number; done: number }[] = [];
  #lastEmit = 0;
  readonly #interval: number;
  readonly #emit?: (p: Progress) => void;

  constructor(total: number, layers: { digest: string; size: number }[], interval: number, emit?: (p: Progress) => void) {
    this.#total = total;
    this.#layers = layers.map((l) => ({ digest: l.digest, size: l.size, done: 0, verified: false }));
    for (const l of this.#layers) this.#byDigest.set(l.digest, l);
    this.#interval = interval;
    if (emit) this.#emit = emit;
  }

  addInline(bytes: number): void {
    this.#inline += bytes;
  }

  add(digest: string, bytes: number): void {
    const layer = this.#byDigest.get(digest);
    if (layer) layer.done += bytes;
    this.maybeEmit();
  }

  /** A blob restarted from scratch: its bytes no longer count. */
  reset(digest: string): void {
    const layer = this.#byDigest.get(digest);
    if (layer) {
      layer.done = 0;
      layer.verified = false;
    }
  }

  verified(digest: string): void {
    const layer = this.#byDigest.get(digest);
    if (layer) {
      layer.done = layer.size;
      layer.verified = true;
    }
  }

  get done(): number {
    let done = this.#inline;
    for (const l of this.#layers) done += l.done;
    return done;
  }

  snapshot(now = Date.now()): Progress {
    const done = this.done;
    this.#samples.push({ t: now, done });
    while (this.#samples.length > 2 && now - this.#samples[1].t >= WINDOW_MS) this.#samples.shift();
    const first = this.#samples[0];
    const seconds = (now - first.t) / 1000;
    const speed = seconds > 0.2 ? Math.max(0, (done - first.done) / seconds) : 0;
    const progress: Progress = {
      totalBytes: this.#total,
      doneBytes: done,
      bytesPerSecond: speed,
      layers: this.#layers.map((l) => ({ ...l })),
    };
    if (speed > 0) progress.etaSeconds = Math.max(0, (this.#total - done) / speed);
    return progress;
  }

  maybeEmit(force = false): void {
    if (!this.#emit) return;
    const now = Date.now();
    if (!force && now - this.#lastEmit < this.#interval) return;
    this.#lastEmit = now;
    this.#emit(this.snapshot(now));
  }
}
