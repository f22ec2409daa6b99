// The download worker's gathered writes (web/workers/download/write-runs.ts): the file
// holds exactly the bytes written, whatever order and piece sizes they came in, in few
// large writes; nothing is held back past flush(), a buffer handed to write() may be
// reused once it resolves, and drop() forgets what was not written.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { WriteRuns } from "../../web/workers/download/write-runs.ts";

const RUN = 1024;

/** A file in memory that records each write, copying the data as a real file would. */
function memoryFile(size: number) {
  const bytes = new Uint8Array(size);
  const writes: { position: number; length: number }[] = [];
  return {
    bytes,
    writes,
    write: async (position: number, data: Uint8Array) => {
      await new Promise((resolve) => setImmediate(resolve));
      bytes.set(data, position);
      writes.push({ position, length: data.length });
    },
  };
}

/** Splits [start, end) into pieces of random sizes up to `max`. */
function pieces(start: number, end: number, max: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = start; p < end;) {
    const n = Math.min(end - p, 1 + Math.floor(Math.random() * max));
    out.push([p, p + n]);
    p += n;
  }
  return out;
}

describe("WriteRuns", () => {
  it("writes every byte at its place, from several writers at once, in runs of the run size", async () => {
    const source = randomBytes(20 * RUN + 123);
    const file = memoryFile(source.length);
    const runs = new WriteRuns(file.write, 5, { runSize: RUN });
    // Four writers, each on its own part of the file, pieces much smaller than a run.
    const bounds = [0, 3 * RUN + 7, 9 * RUN, 15 * RUN + 500, source.length];
    await Promise.all(bounds.slice(0, -1).map(async (start, i) => {
      for (const [from, to] of pieces(start, bounds[i + 1], 300)) {
        // The writer's buffer is reused at once, as the network's would be.
        const piece = Uint8Array.from(source.subarray(from, to));
        await runs.write(from, piece);
        piece.fill(0);
      }
    }));
    await runs.flush();
    expect(Buffer.from(file.bytes).equals(source)).toBe(true);
    expect(file.writes.every((w) => w.length <= RUN)).toBe(true);
    // Only each writer's last run, and where a writer's part begins off a run boundary, is short.
    expect(file.writes.filter((w) => w.length < RUN).length).toBeLessThanOrEqual(2 * 4);
  });

  it("writes a piece of a run's size or more as it is, and holds nothing back after flush", async () => {
    const file = memoryFile(4 * RUN);
    const runs = new WriteRuns(file.write, 2, { runSize: RUN });
    await runs.write(0, new Uint8Array(2 * RUN).fill(1));
    expect(file.writes).toEqual([{ position: 0, length: 2 * RUN }]);
    await runs.write(2 * RUN, new Uint8Array(10).fill(2));
    expect(file.writes).toHaveLength(1);
    await runs.flush();
    expect(file.writes).toEqual([{ position: 0, length: 2 * RUN }, { position: 2 * RUN, length: 10 }]);
    await runs.flush();
    expect(file.writes).toHaveLength(2);
  });

  it("writes the run written to longest ago when more runs are open than allowed", async () => {
    const file = memoryFile(10 * RUN);
    const runs = new WriteRuns(file.write, 2, { runSize: RUN });
    await runs.write(0, new Uint8Array(10).fill(1));
    await runs.write(4 * RUN, new Uint8Array(10).fill(2));
    await runs.write(10, new Uint8Array(10).fill(1));
    expect(file.writes).toEqual([]);
    await runs.write(8 * RUN, new Uint8Array(10).fill(3));
    expect(file.writes).toEqual([{ position: 4 * RUN, length: 10 }]);
  });

  it("writes a run as soon as it reaches a boundary, where nothing continues it", async () => {
    const file = memoryFile(4 * RUN);
    const runs = new WriteRuns(file.write, 2, { runSize: RUN, boundaries: [100] });
    await runs.write(0, new Uint8Array(60));
    expect(file.writes).toEqual([]);
    await runs.write(60, new Uint8Array(40));
    expect(file.writes).toEqual([{ position: 0, length: 100 }]);
    await runs.write(100, new Uint8Array(10));
    expect(file.writes).toHaveLength(1);
  });

  it("forgets what it holds on drop, and passes a failed write's error to the writer that filled the run", async () => {
    const file = memoryFile(4 * RUN);
    const runs = new WriteRuns(file.write, 2, { runSize: RUN });
    await runs.write(0, new Uint8Array(10));
    runs.drop();
    await runs.flush();
    expect(file.writes).toEqual([]);

    const failing = new WriteRuns(() => Promise.reject(new Error("disk full")), 2, { runSize: RUN });
    await failing.write(0, new Uint8Array(RUN - 1));
    await expect(failing.write(RUN - 1, new Uint8Array(2))).rejects.toThrow("disk full");
  });
});
