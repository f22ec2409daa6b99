// A file picked with showSaveFilePicker, written at any position by many layers at once,
// and committed now and then so a reload or a crash loses little.
//
// Chromium's createWritable() writes into a hidden .crswap copy that replaces the file
// only on close(); a page that dies before close() loses everything written. So the
// file is closed (committed) at checkpoints and reopened with keepExistingData, which
// copies the whole file into a new .crswap. That copy grows with the file, so
// checkpoints are spaced by at least ten times what one costs: their cost stays under
// about a tenth of the download time however large the file. Before the first one is
// timed, its cost is guessed from the file's size at a slow disk's copy speed (1 GiB
// took 3–5 s in the bench): a file sized up front for a whole archive makes even the
// first copy long, so a file of a few GiB is not committed early. But the first commit
// comes at most two minutes in: by that guess alone, a 12 GiB file's would come 11
// minutes in (the scale run reloaded at 40 %, before it, and lost everything), and a
// fast download of it would have none before its end. It also means
// the disk needs about twice the file's size free: a full disk (or storage quota) fails
// a write, a close or that copy, and is reported as NO_SPACE; the last commit stays.
// Writes are gathered into large ones (write-runs.ts) and each commit writes what is
// gathered first (a Blob, a range read whole, is written as it is); a gathered write that fails leaves the file uncommittable from then on.

import { DockerdlError } from "../../../shared/errors.ts";
import { WriteRuns } from "./write-runs.ts";

/** Bytes per millisecond a reopen is assumed to copy before one is timed (200 MB/s). */
const ASSUMED_COPY_RATE = 200_000;
/** The first commit comes at most this long after the file is opened, whatever its size. */
const FIRST_COMMIT_LATEST_MS = 120_000;

export class CheckpointedFile {
  private readonly handle: FileSystemFileHandle;
  /** What a reopen copies: the file's size (the archive's, as the file is sized up front). */
  private readonly size: number;
  private writable: FileSystemWritableFileStream | undefined;
  /** Writes gathered into large ones; a commit writes what they hold before it closes the file. */
  private readonly runs: WriteRuns;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private gate: Promise<void> | undefined;
  private lastCommitEnd = Date.now();
  /** Bytes per millisecond the last reopen copied; undefined until a commit is timed. */
  private copyRate: number | undefined;
  private dirty = false;
  /** Set when the file could not be reopened after a commit: every later write fails with it. */
  private broken: Error | undefined;
  /**
   * Set when a gathered write failed: bytes the engine counted as written are missing, so
   * this file must not be committed again (the last commit stays, as it was).
   */
  private lost: Error | undefined;

  /**
   * `writers`: how many units may write at once (each keeps a run of its writes open);
   * `boundaries`: positions where no write continues another (each layer's end).
   */
  constructor(handle: FileSystemFileHandle, size: number, writers: number, boundaries: Iterable<number> = []) {
    this.handle = handle;
    this.size = size;
    this.runs = new WriteRuns((position, data) => this.writeNow(position, data), writers + 1, { boundaries });
  }

  /** Opens the file: as it is (a resume), or empty and sized up front, so positioned writes never extend it piecemeal. */
  async open(keepExistingData: boolean): Promise<void> {
    try {
      this.writable = await this.handle.createWritable({ keepExistingData });
      if (!keepExistingData) {
        await this.writable.truncate(this.size);
        this.dirty = true;
      }
    } catch (error) {
      await this.abort();
      throw fileError(error);
    }
    this.lastCommitEnd = Date.now();
  }

  /**
   * Runs `work` (which writes through `write`) as one unit that a commit never splits:
   * commits wait for running units and hold new ones back, so that whatever state a
   * unit updates after its write is consistent with the bytes the commit keeps.
   */
  async unit<T>(work: (write: (position: number, data: Uint8Array | Blob) => Promise<void>) => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    this.inFlight++;
    try {
      return await work(async (position, data) => {
        if (this.lost || this.broken || !this.writable) throw this.lost ?? this.broken ?? new DockerdlError("WRITE_FAILED", "the file is closed");
        this.dirty = true;
        // A Blob (a range read whole) is one large write already; it never overlaps a run.
        if (data instanceof Blob) await this.writeNow(position, data);
        else await this.runs.write(position, data);
      });
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.idle?.();
    }
  }

  private async writeNow(position: number, data: Uint8Array | Blob): Promise<void> {
    try {
      if (this.broken || !this.writable) throw this.broken ?? new DockerdlError("WRITE_FAILED", "the file is closed");
      await this.writable.write({ type: "write", position, data: data as Uint8Array<ArrayBuffer> | Blob });
    } catch (error) {
      this.lost ??= fileError(error);
      throw this.lost;
    }
  }

  /**
   * Whether enough time has passed since the last commit for another to be cheap. Never
   * while one runs: a second caller would otherwise commit (and copy) again right after it.
   */
  commitDue(minIntervalMs = 2000): boolean {
    const spacing = this.copyRate === undefined ? Math.min((10 * this.size) / ASSUMED_COPY_RATE, FIRST_COMMIT_LATEST_MS) : (10 * this.size) / this.copyRate;
    return this.dirty && this.gate === undefined && Date.now() - this.lastCommitEnd >= Math.max(minIntervalMs, spacing);
  }

  /** Makes everything written so far durable, then `afterCommit` records what that covers. */
  async commit(afterCommit: () => Promise<void>, reopen = true): Promise<void> {
    while (this.gate) await this.gate;
    let open!: () => void;
    this.gate = new Promise((resolve) => (open = resolve));
    try {
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.idle = resolve));
      this.idle = undefined;
      const started = Date.now();
      try {
        await this.runs.flush();
        if (this.lost) throw this.lost;
        await this.writable?.close();
      } catch (error) {
        if (this.lost) await this.abort();
        throw fileError(error);
      }
      this.writable = undefined;
      this.dirty = false;
      try {
        await afterCommit();
        if (reopen && !this.broken) this.writable = await this.handle.createWritable({ keepExistingData: true });
      } catch (error) {
        // What was just committed stays; the download stops here, to resume once there is room.
        this.broken = fileError(error);
        throw this.broken;
      }
      this.lastCommitEnd = Date.now();
      this.copyRate = Math.max(1, this.size / Math.max(1, this.lastCommitEnd - started));
    } finally {
      this.gate = undefined;
      open();
    }
  }

  /** Drops what was written since the last commit. */
  async abort(): Promise<void> {
    this.runs.drop();
    const writable = this.writable;
    this.writable = undefined;
    await writable?.abort().catch(() => {});
  }
}

/**
 * A failed write as the person can act on it: a full disk or storage quota (the
 * browser's QuotaExceededError) is NO_SPACE, anything else WRITE_FAILED, both with the
 * browser's own words kept as the detail.
 */
export function fileError(error: unknown): DockerdlError {
  if (error instanceof DockerdlError) return error;
  const name = error instanceof Error ? error.name : "";
  const said = error instanceof Error ? error.message : String(error);
  if (name === "QuotaExceededError") {
    return new DockerdlError("NO_SPACE", `there is not enough free space to write the file (${said})`, {
      hint: "free some disk space, then resume: the download continues from what was verified",
      cause: error,
    });
  }
  return new DockerdlError("WRITE_FAILED", `writing the file failed: ${said}`, {
    hint: "check that the disk has room and the file can be written, then resume",
    cause: error,
  });
}
