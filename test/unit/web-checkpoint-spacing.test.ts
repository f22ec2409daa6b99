// When the download worker's picked file is committed (web/workers/download/checkpointed-file.ts).
// Each commit makes Chromium copy the whole file, so commits are spaced by ten times a
// copy's cost, guessed at 200 MB/s until one is timed; but the first comes at most two
// minutes in, or a reload of a 12 GiB download loses everything before it. The clock is
// faked; the file handle is a stand-in whose reopen takes as long as the test says.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CheckpointedFile } from "../../web/workers/download/checkpointed-file.ts";

const GB = 1e9;

/** A file handle whose createWritable() (Chromium's whole-file copy) takes `copyMs` of the fake clock. */
function handle(copyMs: () => number) {
  const writable = {
    truncate: async () => {},
    write: async () => {},
    close: async () => {},
    abort: async () => {},
  };
  return {
    createWritable: async () => {
      vi.advanceTimersByTime(copyMs());
      return writable;
    },
  };
}

async function openedFile(size: number, copyMs = () => 0): Promise<CheckpointedFile> {
  const file = new CheckpointedFile(handle(copyMs) as never, size, 5);
  await file.open(false);
  await file.unit((write) => write(0, new Uint8Array(10)));
  return file;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("checkpoint spacing", () => {
  it.each([
    ["a 1 GB file first after ten guessed copies at 200 MB/s (50 s), not before", 1 * GB, 50_000],
    ["a 13 GB file first two minutes in, not after ten guessed copies (650 s)", 13 * GB, 120_000],
  ])("commits %s", async (_, size, dueMs) => {
    const file = await openedFile(size);
    vi.advanceTimersByTime(dueMs - 1_000);
    expect(file.commitDue()).toBe(false);
    vi.advanceTimersByTime(1_000);
    expect(file.commitDue()).toBe(true);
  });

  it("spaces later commits by ten times the copy it timed, past two minutes for a large file", async () => {
    let copy = 0;
    const file = await openedFile(13 * GB, () => copy);
    vi.advanceTimersByTime(120_000);
    copy = 80_000; // the reopen after this commit copies 13 GB in 80 s
    await file.commit(async () => {});
    await file.unit((write) => write(0, new Uint8Array(10)));
    vi.advanceTimersByTime(799_000);
    expect(file.commitDue()).toBe(false);
    vi.advanceTimersByTime(1_000);
    expect(file.commitDue()).toBe(true);
  });

  it("never commits a file with nothing written since the last commit, nor while a commit runs", async () => {
    const file = await openedFile(1e6);
    vi.advanceTimersByTime(3_000);
    expect(file.commitDue()).toBe(true);
    await file.commit(async () => {});
    vi.advanceTimersByTime(60_000);
    expect(file.commitDue()).toBe(false);
    await file.unit((write) => write(0, new Uint8Array(10)));
    let release!: () => void;
    const running = file.commit(() => new Promise<void>((resolve) => (release = resolve)));
    await vi.waitFor(() => expect(release).toBeTypeOf("function"));
    expect(file.commitDue()).toBe(false);
    release();
    await running;
  });
});
