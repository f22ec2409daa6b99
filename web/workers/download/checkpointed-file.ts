// A file picked with showSaveFilePicker, written at any position by many layers at once,
// and committed now and then so a reload or a crash loses little.
//
// Chromium's createWritable() writes into a hidden .crswap copy that replaces the file
// only on close(); a page that dies before close() loses everything written. So the
// file is closed (committed) at checkpoints and reopened with keepExistingData, which
// copies the whole file into a new .crswap. That copy grows with the file, so
// checkpoints are spaced by at least ten times the last one's duration: their cost
// stays under about a tenth of the download time however large the file.

export class CheckpointedFile {
  private readonly handle: FileSystemFileHandle;
  private writable: FileSystemWritableFileStream | undefined;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private gate: Promise<void> | undefined;
  private lastCommitEnd = Date.now();
  private lastCommitCost = 0;
  private dirty = false;

  constructor(handle: FileSystemFileHandle) {
    this.handle = handle;
  }

  async open(keepExistingData: boolean, size?: number): Promise<void> {
    this.writable = await this.handle.createWritable({ keepExistingData });
    if (size !== undefined) {
      await this.writable.truncate(size);
      this.dirty = true;
    }
    this.lastCommitEnd = Date.now();
  }

  /**
   * Runs `work` (which writes through `write`) as one unit that a commit never splits:
   * commits wait for running units and hold new ones back, so that whatever state a
   * unit updates after its write is consistent with the bytes the commit keeps.
   */
  async unit<T>(work: (write: (position: number, data: Uint8Array) => Promise<void>) => Promise<T>): Promise<T> {
    while (this.gate) await this.gate;
    this.inFlight++;
    try {
      return await work(async (position, data) => {
        this.dirty = true;
        await this.writable!.write({ type: "write", position, data: data as Uint8Array<ArrayBuffer> });
      });
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) this.idle?.();
    }
  }

  /** Whether enough time has passed since the last commit for another to be cheap. */
  commitDue(minIntervalMs = 2000): boolean {
    return this.dirty && Date.now() - this.lastCommitEnd >= Math.max(minIntervalMs, 10 * this.lastCommitCost);
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
      await this.writable?.close();
      this.writable = undefined;
      this.dirty = false;
      await afterCommit();
      if (reopen) this.writable = await this.handle.createWritable({ keepExistingData: true });
      this.lastCommitEnd = Date.now();
      this.lastCommitCost = this.lastCommitEnd - started;
    } finally {
      this.gate = undefined;
      open();
    }
  }

  /** Drops what was written since the last commit. */
  async abort(): Promise<void> {
    const writable = this.writable;
    this.writable = undefined;
    await writable?.abort().catch(() => {});
  }
}
