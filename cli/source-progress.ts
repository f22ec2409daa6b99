// What a pull tells as it goes, beyond the one progress line: with several sources, a
// warning for each source skipped for a layer, dropped or caught sending wrong bytes;
// with -v, each source's bytes and speed every few seconds and at the end; with --json,
// all of it as one JSON object per line on standard error instead (standard output may
// be the tar itself with -o -, so stderr is the one place that works for every pull).

import { formatBytes, type Progress, type SourceEvent, type SourceStats } from "../shared/engine/index.ts";
import type { ProgressLine } from "./progress-line.ts";

const JSON_EVERY_MS = 500;
const VERBOSE_EVERY_MS = 5000;

export interface ReporterOptions {
  stderr: NodeJS.WritableStream;
  json: boolean;
  verbose: boolean;
  quiet: boolean;
}

export class PullReporter {
  readonly #line: ProgressLine;
  readonly #options: ReporterOptions;
  /** Each source's figures, once the pull has several. */
  stats: (() => SourceStats[]) | undefined;
  #lastJson = 0;
  #lastVerbose = Date.now();

  constructor(line: ProgressLine, options: ReporterOptions) {
    this.#line = line;
    this.#options = options;
  }

  update(p: Progress): void {
    const now = Date.now();
    if (this.#options.json) {
      if (now - this.#lastJson < JSON_EVERY_MS && p.doneBytes < p.totalBytes) return;
      this.#lastJson = now;
      this.json({
        type: "progress", doneBytes: p.doneBytes, totalBytes: p.totalBytes, bytesPerSecond: Math.round(p.bytesPerSecond),
        ...(p.etaSeconds === undefined ? {} : { etaSeconds: Math.round(p.etaSeconds) }),
        layersVerified: p.layers.filter((l) => l.verified).length, layers: p.layers.length,
        ...(this.stats === undefined ? {} : { sources: this.stats() }),
      });
      return;
    }
    this.#line.update(p);
    if (this.#options.verbose && this.stats !== undefined && now - this.#lastVerbose >= VERBOSE_EVERY_MS) {
      this.#lastVerbose = now;
      this.#sourceLines();
    }
  }

  /** A source skipped, dropped or blamed, or two that disagree: always said (it changes where bytes come from). */
  event(e: SourceEvent): void {
    if (this.#options.json) {
      this.json({ type: "source", ...e });
      return;
    }
    if (this.#options.quiet) return;
    const text = e.kind === "skipped" ? `source ${e.source} skipped for layer ${e.digest}: ${e.reason}`
      : e.kind === "dropped" ? `source ${e.source} dropped: ${e.reason}`
      : e.kind === "disagree" ? `sources ${e.sources.join(" and ")} sent different bytes for layer ${e.digest} (bytes ${e.start}-${e.end}) and neither is blamed: ${e.reason}; if the pull fails, leave one of them out`
      : `source ${e.source} sent wrong bytes for layer ${e.digest} (bytes ${e.start}-${e.end}): ${e.reason}`;
    this.#say(`warning: ${text}`);
  }

  finish(): void {
    this.#line.finish();
    if (this.#options.verbose && !this.#options.json && this.stats !== undefined) this.#sourceLines();
  }

  note(text: string): void {
    this.#line.note(text);
  }

  json(value: object): void {
    this.#options.stderr.write(`${JSON.stringify(value)}\n`);
  }

  #sourceLines(): void {
    for (const s of this.stats?.() ?? []) {
      const state = s.dropped !== undefined ? `dropped (${s.dropped})` : `${formatBytes(s.bytesPerSecond)}/s, ${s.active} running${s.skipped > 0 ? `, skipped for ${s.skipped} layer(s)` : ""}`;
      this.#say(`source ${s.name}: ${formatBytes(s.bytes)}, ${state}`);
    }
  }

  #say(text: string): void {
    this.#line.finish();
    this.#options.stderr.write(`dockerdl: ${text}\n`);
  }
}
