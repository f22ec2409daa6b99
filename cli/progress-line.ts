// The one-line progress display on a terminal: bytes, percent, speed, ETA, redrawn in
// place. Nothing is drawn when stderr is not a terminal (logs, CI, pipes).

import type { Progress } from "../shared/engine/index.ts";
import { formatBytes } from "../shared/engine/index.ts";

export function formatProgress(p: Progress): string {
  const percent = p.totalBytes === 0 ? 100 : Math.floor((p.doneBytes / p.totalBytes) * 100);
  const layers = p.layers.filter((l) => l.verified).length;
  const parts = [
    `${formatBytes(p.doneBytes)} / ${formatBytes(p.totalBytes)}`,
    `${percent}%`,
    `${formatBytes(Math.round(p.bytesPerSecond))}/s`,
    `ETA ${p.etaSeconds === undefined ? "--" : formatDuration(p.etaSeconds)}`,
    `layers ${layers}/${p.layers.length}`,
  ];
  return parts.join("  ");
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export class ProgressLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  #drawn = false;

  constructor(stream: NodeJS.WriteStream, enabled: boolean) {
    this.#stream = stream;
    this.#enabled = enabled && stream.isTTY === true;
  }

  update(p: Progress): void {
    if (!this.#enabled) return;
    const width = this.#stream.columns ?? 80;
    this.#stream.write(`\r\x1b[K${formatProgress(p).slice(0, width - 1)}`);
    this.#drawn = true;
  }

  /** Ends the line so the next message starts on a fresh one. */
  finish(): void {
    if (this.#drawn) this.#stream.write("\n");
    this.#drawn = false;
  }

  note(text: string): void {
    if (!this.#enabled) return;
    this.finish();
    this.#stream.write(`${text}\n`);
  }
}
