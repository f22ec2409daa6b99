// Reading back for the hash (a sink with read, as the CLI's output file): what arrived
// ahead of a blob's hash cursor is written, then read back in order once the cursor
// gets there. Each read is a round trip to the file, so it reads READ_BACK bytes at a
// time, more than a batch, into a buffer its pump holds from its first read back to its
// end: one buffer per pump running, not one per read, and never a fetcher's batch.
import { describe, expect, it } from "vitest";
import { BATCH_SIZE } from "../../shared/engine/batch.ts";
import { READ_BACK } from "../../shared/engine/blob-job.ts";
import { downloadArchive, type RandomAccessSink } from "../../shared/engine/index.ts";
import { planImageArchive, writePlanToBuffer } from "../../shared/image-archive.ts";
import { fast, image, memorySink, memorySource, nodeHasher } from "./engine-doubles.ts";

/** A memory sink whose reads back go into the buffer the engine hands over, recording each. */
function readBackSink(size: number): RandomAccessSink & { bytes: Uint8Array; reads: number[]; buffers: Set<ArrayBufferLike> } {
  const inner = memorySink(size, false);
  const reads: number[] = [];
  const buffers = new Set<ArrayBufferLike>();
  return {
    ...inner,
    reads,
    buffers,
    async read(position, length, into) {
      if (into === undefined || into.length < length) throw new Error(`a read back of ${length} bytes came without a buffer to hold it`);
      reads.push(length);
      buffers.add(into.buffer);
      into.set(inner.bytes.subarray(position, position + length));
      return into.subarray(0, length);
    },
  };
}

describe("reading back what was written ahead of the hash cursor", () => {
  it("reads back READ_BACK bytes at a time, more than a batch, into one buffer for the one blob's pump", async () => {
    expect(READ_BACK).toBeGreaterThan(BATCH_SIZE);
    const { image: img, blobs } = image([Math.round(3.75 * READ_BACK)]);
    const plan = planImageArchive([img]);
    const sink = readBackSink(plan.totalSize);
    // Three ranges at once: the second and third arrive ahead of the cursor, which reaches
    // them once the first is hashed, with more than READ_BACK of each written by then.
    await downloadArchive({ plan, source: memorySource(blobs), sink, createHasher: nodeHasher, chunkSize: 1.25 * READ_BACK, connections: 3, ...fast });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(Math.max(...sink.reads)).toBe(READ_BACK);
    expect(sink.buffers.size).toBe(1);
  });

  it("holds no more read-back buffers than pumps can run, with many blobs read back", async () => {
    const { image: img, blobs } = image([400_000, 300_000, 500_000, 450_000, 350_000, 420_000]);
    const plan = planImageArchive([img]);
    const sink = readBackSink(plan.totalSize);
    await downloadArchive({ plan, source: memorySource(blobs), sink, createHasher: nodeHasher, chunkSize: 100_000, connections: 4, ...fast });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(sink.reads.length).toBeGreaterThan(0);
    expect(sink.buffers.size).toBeLessThanOrEqual(blobs.size);
    for (const buffer of sink.buffers) expect(buffer.byteLength).toBe(READ_BACK);
  });
});
