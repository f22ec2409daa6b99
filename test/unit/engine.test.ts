// The download engine with an in-memory source and sinks (engine-doubles.ts): parallel
// ranged chunks give the same bytes as the planned archive, hashing stays in order,
// faults are retried from the last byte, corrupt blobs are refetched once then refused,
// memory stays in its budget, and neither read-back nor a checkpoint holds a transfer. Stopping and resuming: engine-resume.test.ts.
import { createSHA256 } from "hash-wasm";
import { describe, expect, it } from "vitest";
import { downloadArchive, type BlobHasher, type Progress, type RandomAccessSink } from "../../shared/engine/index.ts";
import { DockerdlError } from "../../shared/errors.ts";
import { planImageArchive, writePlanToBuffer } from "../../shared/image-archive.ts";
import { fast, image, memorySink, memorySource, nodeHasher, streamSink } from "./engine-doubles.ts";

describe("downloadArchive into a random-access sink", () => {
  for (const readable of [true, false]) {
    it(`writes exactly the planned archive from parallel chunks (${readable ? "read-back" : "held in memory"})`, async () => {
      const { image: img, blobs } = image([300_000, 5, 0, 70_000, 1_000_000]);
      const plan = planImageArchive([img]);
      const sink = memorySink(plan.totalSize, readable);
      const source = memorySource(blobs);
      const result = await downloadArchive({ plan, source, sink, createHasher: createSHA256, chunkSize: 64 * 1024, connections: 5, ...fast });
      expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
      expect(result.fetchedBytes).toBe(1_370_005);
      expect(source.calls).toBeGreaterThan(20); // the large layers went as many ranges
    });
  }

  it("reports progress per layer and overall, ending at the total", async () => {
    const { image: img, blobs } = image([200_000, 50_000]);
    const plan = planImageArchive([img]);
    const events: Progress[] = [];
    await downloadArchive({ plan, source: memorySource(blobs), sink: memorySink(plan.totalSize, true), createHasher: nodeHasher, chunkSize: 64 * 1024, onProgress: (p) => events.push(p), ...fast });
    const last = events.at(-1)!;
    expect(last.doneBytes).toBe(plan.totalSize);
    expect(last.totalBytes).toBe(plan.totalSize);
    expect(last.layers.every((l) => l.verified && l.done === l.size)).toBe(true);
    expect(events.length).toBeGreaterThan(3);
    for (let i = 1; i < events.length; i++) expect(events[i].doneBytes).toBeGreaterThanOrEqual(events[i - 1].doneBytes);
  });

  it.each(["reset", "truncate"] as const)("resumes a range after a %s from the byte it stopped at", async (kind) => {
    const { image: img, blobs } = image([400_000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, true);
    const source = memorySource(blobs, (_d, _s, _e, call) => (call < 3 ? kind : undefined));
    const retries: number[] = [];
    const result = await downloadArchive({ plan, source, sink, createHasher: nodeHasher, chunkSize: 100_000, onRetry: (e) => retries.push(e.position), ...fast });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(retries).toHaveLength(3);
    expect(result.fetchedBytes).toBe(400_000); // nothing fetched twice
  });

  it("retries bursts of 503 and 429, waiting as long as Retry-After says", async () => {
    const { image: img, blobs } = image([150_000, 150_000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, true);
    const source = memorySource(blobs, (_d, _s, _e, call) => (call < 4 ? "503" : call < 6 ? "429" : undefined));
    const delays: number[] = [];
    await downloadArchive({ plan, source, sink, createHasher: nodeHasher, chunkSize: 64 * 1024, onRetry: (e) => delays.push(e.delayMs), ...fast });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(delays).toContain(20);
  });

  it("gives up on a fault that persists, with the registry's message", async () => {
    const { image: img, blobs } = image([10_000]);
    const plan = planImageArchive([img]);
    const download = downloadArchive({ plan, source: memorySource(blobs, () => "503"), sink: memorySink(plan.totalSize, true), createHasher: nodeHasher, retries: 3, ...fast });
    await expect(download).rejects.toThrow(DockerdlError);
    await expect(download).rejects.toMatchObject({ code: "UPSTREAM", message: expect.stringContaining("registry answered 503 (gave up after 4 attempts)") });
  });

  it("fails at once, without retrying, on an error that will not go away (404)", async () => {
    const { image: img, blobs } = image([10_000, 10_000]);
    const plan = planImageArchive([img]);
    const source = memorySource(blobs, () => "404");
    const download = downloadArchive({ plan, source, sink: memorySink(plan.totalSize, true), createHasher: nodeHasher, ...fast });
    await expect(download).rejects.toThrow(DockerdlError);
    await expect(download).rejects.toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining("was not found") });
    expect(source.calls).toBeLessThanOrEqual(2);
  });

  it("refetches a corrupt blob from scratch once", async () => {
    const { image: img, blobs } = image([300_000, 20_000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, true);
    const big = img.layers[0].digest;
    let corrupted = 0;
    const source = memorySource(blobs, (d, start) => (d === big && start === 100_000 && corrupted++ === 0 ? "corrupt" : undefined));
    const result = await downloadArchive({ plan, source, sink, createHasher: createSHA256, chunkSize: 100_000, ...fast });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(result.fetchedBytes).toBe(2 * 300_000 + 20_000);
  });

  it("refuses a blob that is corrupt every time, naming it", async () => {
    const { image: img, blobs } = image([50_000]);
    const plan = planImageArchive([img]);
    const download = downloadArchive({ plan, source: memorySource(blobs, () => "corrupt"), sink: memorySink(plan.totalSize, true), createHasher: nodeHasher, ...fast });
    await expect(download).rejects.toThrow(DockerdlError);
    await expect(download).rejects.toMatchObject({
      code: "DIGEST_MISMATCH",
      message: expect.stringMatching(new RegExp(`^layer ${img.layers[0].digest} is corrupt.*\\(tried 2 times\\)`)),
    });
  });

  it("keeps chunks held for in-order hashing within the memory budget", async () => {
    const { image: img, blobs } = image([3_000_000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, false);
    let peak = 0;
    let held = 0;
    // Measure what the engine holds: bytes written but not yet hashed ≈ written - hashed.
    const budget = 256 * 1024;
    const hasher = async (): Promise<BlobHasher> => {
      const inner = await nodeHasher();
      return { init: () => inner.init?.(), update: (d) => { held -= d.length; inner.update(d); }, digest: () => inner.digest() };
    };
    const counting: RandomAccessSink = { kind: "random-access", write: async (p, d) => { held += d.length; peak = Math.max(peak, held); await sink.write(p, d); } };
    await downloadArchive({ plan, source: memorySource(blobs), sink: counting, createHasher: hasher, chunkSize: 64 * 1024, connections: 6, memoryBudget: budget, ...fast });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(peak).toBeLessThan(budget + 6 * 8 * 1024);
  });

  /** A readable memory sink counting what is written; `gate` holds every read back until it settles. */
  function countingSink(size: number, gate?: Promise<void>): RandomAccessSink & { bytes: Uint8Array; written: number } {
    const inner = memorySink(size, true);
    const sink = {
      kind: "random-access" as const,
      bytes: inner.bytes,
      written: 0,
      write: async (position: number, data: Uint8Array) => {
        await inner.write(position, data);
        sink.written += data.length;
      },
      read: async (position: number, length: number) => {
        await gate;
        return inner.bytes.slice(position, position + length);
      },
    };
    return sink;
  }

  it("lets every fetcher write on while the hashing behind the cursor is stuck reading back", async () => {
    const { image: img, blobs } = image([600_000]);
    const plan = planImageArchive([img]);
    let release!: () => void;
    const sink = countingSink(plan.totalSize, new Promise<void>((resolve) => (release = resolve)));
    const download = downloadArchive({ plan, source: memorySource(blobs), sink, createHasher: nodeHasher, chunkSize: 64 * 1024, connections: 4, ...fast });
    // Nothing can be read back yet, so nothing past the first chunk is hashed: the fetchers ahead must not wait for it.
    await expect.poll(() => sink.written, { timeout: 5000 }).toBe(plan.totalSize);
    release();
    await download;
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
  });

  it("lets the transfers go on while a checkpoint is being saved", async () => {
    const { image: img, blobs } = image([400_000]);
    const plan = planImageArchive([img]);
    const sink = countingSink(plan.totalSize);
    let release!: () => void;
    const saving = new Promise<void>((resolve) => (release = resolve));
    let saves = 0;
    const onCheckpoint = () => {
      saves++;
      return saving;
    };
    const download = downloadArchive({ plan, source: memorySource(blobs), sink, createHasher: nodeHasher, chunkSize: 64 * 1024, connections: 1, checkpointIntervalMs: 0, onCheckpoint, ...fast });
    await expect.poll(() => sink.written, { timeout: 5000 }).toBe(plan.totalSize);
    expect(saves).toBe(1); // the first save is still on its way; none overlaps it
    release();
    await download;
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(saves).toBeGreaterThan(1); // the verified layer and the end were saved after it
  });
});

describe("downloadArchive into a sequential sink", () => {
  it("streams exactly the planned archive, in order, from parallel chunks", async () => {
    const { image: img, blobs } = image([500_000, 1, 0, 90_000]);
    const plan = planImageArchive([img]);
    const sink = streamSink();
    await downloadArchive({ plan, source: memorySource(blobs, (_d, _s, _e, call) => (call === 2 ? "reset" : undefined)), sink, createHasher: createSHA256, chunkSize: 64 * 1024, memoryBudget: 200_000, ...fast });
    expect(Buffer.concat(sink.parts)).toEqual(Buffer.from(writePlanToBuffer(plan, blobs)));
  });

  it("fails the stream on a corrupt layer instead of finishing it", async () => {
    const { image: img, blobs } = image([80_000, 80_000]);
    const plan = planImageArchive([img]);
    const sink = streamSink();
    const download = downloadArchive({ plan, source: memorySource(blobs, (d) => (d === img.layers[1].digest ? "corrupt" : undefined)), sink, createHasher: nodeHasher, ...fast });
    await expect(download).rejects.toThrow(DockerdlError);
    await expect(download).rejects.toMatchObject({ code: "DIGEST_MISMATCH", message: expect.stringContaining(`layer ${img.layers[1].digest} is corrupt`) });
    expect(Buffer.concat(sink.parts).length).toBeLessThan(plan.totalSize);
  });
});
