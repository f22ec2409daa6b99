// The engine reading bodies straight into its batch buffers (BodyReader.readInto, a BYOB
// read of a byte stream, as the PWA's fetch bodies are read: web/lib/byob-body.ts): the
// same archive as from plain reads, with the sink reading back or without (pieces ahead
// of the hash cursor copied into pooled buffers), and a body that breaks during a read,
// which takes the batch's memory with it, resumed from its last counted byte.
import { describe, expect, it } from "vitest";
import { downloadArchive } from "../../shared/engine/index.ts";
import type { HttpBody } from "../../shared/http.ts";
import { planImageArchive, writePlanToBuffer } from "../../shared/image-archive.ts";
import { sliceBody } from "../../shared/registry/blobs.ts";
import { readableIntoBody } from "../../web/lib/byob-body.ts";
import { fast, image, memorySink, memorySource, nodeHasher } from "./engine-doubles.ts";

/** Byte-stream bodies read through byob-body.ts, counting the reads that went into a caller's buffer. */
function countedBodies(): { bodies: (stream: ReadableStream<Uint8Array>) => HttpBody; readsInto: number } {
  const counter = {
    readsInto: 0,
    bodies: (stream: ReadableStream<Uint8Array>): HttpBody => {
      const body = readableIntoBody(stream);
      return {
        cancel: (reason) => body.cancel(reason),
        getReader() {
          const reader = body.getReader();
          const readInto = reader.readInto?.bind(reader);
          if (readInto === undefined) throw new Error("a byte stream's reader has no readInto");
          return Object.assign(reader, {
            readInto: (into: Uint8Array<ArrayBuffer>) => {
              counter.readsInto++;
              return readInto(into);
            },
          });
        },
      };
    },
  };
  return counter;
}

describe("downloadArchive reading bodies into its batches", () => {
  for (const readable of [true, false]) {
    it(`writes exactly the planned archive (${readable ? "read-back" : "held in memory"})`, async () => {
      const { image: img, blobs } = image([300_000, 5, 0, 70_000, 1_000_000]);
      const plan = planImageArchive([img]);
      const sink = memorySink(plan.totalSize, readable);
      const counter = countedBodies();
      const result = await downloadArchive({
        plan, source: memorySource(blobs, undefined, counter.bodies), sink, createHasher: nodeHasher, chunkSize: 64 * 1024, connections: 5, memoryBudget: 256 * 1024, ...fast,
      });
      expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
      expect(result.fetchedBytes).toBe(1_370_005);
      expect(counter.readsInto).toBeGreaterThan(100);
    });
  }

  it.each(["reset", "truncate"] as const)("resumes a range after a %s during a read into a batch", async (kind) => {
    const { image: img, blobs } = image([400_000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, false);
    const retries: number[] = [];
    const counter = countedBodies();
    const source = memorySource(blobs, (_digest, _start, _end, call) => (call === 1 ? kind : undefined), counter.bodies);
    await downloadArchive({ plan, source, sink, createHasher: nodeHasher, chunkSize: 100_000, onRetry: (e) => retries.push(e.position), ...fast });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(retries).toHaveLength(1);
    expect(counter.readsInto).toBeGreaterThan(10);
  });
});

describe("a slice of a byte stream read into a buffer", () => {
  it("passes over what comes before the slice and stops at its end, in the caller's buffer", async () => {
    const bytes = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7) % 251);
    // A server that ignored Range: the whole blob, of which bytes 3000-12999 are wanted.
    const stream = new ReadableStream({ type: "bytes", start(controller) {
      controller.enqueue(bytes.slice());
      controller.close();
    } });
    const reader = sliceBody(readableIntoBody(stream), 3_000, 10_000, true).getReader();
    expect(reader.readInto).toBeDefined();
    const got: Uint8Array[] = [];
    let into = new Uint8Array(4_096);
    for (let piece = await reader.readInto!(into); piece.length > 0; piece = await reader.readInto!(into)) {
      got.push(piece.slice());
      into = new Uint8Array(piece.buffer);
    }
    expect(Buffer.concat(got)).toEqual(Buffer.from(bytes.subarray(3_000, 13_000)));
  });
});
