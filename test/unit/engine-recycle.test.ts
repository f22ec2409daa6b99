// Body pieces handed back to be freed (BodyReader.recycle, used by the CLI to free each
// socket read at once): the engine hands a piece back only once every byte of it has
// been copied into a batch, never one whose tail it put back for the next chunk (a
// server that ignores Range), and never when it keeps pieces as they came (a stream
// written in order). The reader here frees a piece as the CLI's does, by detaching its
// memory, so a piece handed back too early leaves wrong bytes and a failed digest.
import { describe, expect, it } from "vitest";
import { downloadArchive, type BlobSource, type RangeBody } from "../../shared/engine/index.ts";
import { planImageArchive, writePlanToBuffer } from "../../shared/image-archive.ts";
import type { BodyReader } from "../../shared/http.ts";
import { sliceBody } from "../../shared/registry/blobs.ts";
import { fast, image, memorySink, nodeHasher, streamSink } from "./engine-doubles.ts";

interface Recycling {
  handedBack: number;
  served: number;
}

/**
 * Serves [start, end) of each blob (or, `ignoresRange`, from start to the blob's end) in
 * pieces of odd sizes, each in memory of its own, as socket reads are; `recycle` frees a
 * piece by detaching that memory.
 */
function recyclingSource(blobs: Map<string, Uint8Array>, ignoresRange: boolean): BlobSource & Recycling {
  const source = {
    handedBack: 0,
    served: 0,
    async fetchRange(digest: string, start: number, end: number): Promise<RangeBody> {
      const bytes = blobs.get(digest);
      if (bytes === undefined) throw new Error(`no blob ${digest}`);
      const stop = ignoresRange ? bytes.length : end;
      let at = start;
      const reader: BodyReader = {
        async read() {
          // Deliberate: a macrotask between pieces, as a network gives, so chunks interleave.
          await new Promise((r) => setTimeout(r, 0));
          if (at >= stop) return { done: true, value: undefined };
          const piece = bytes.slice(at, Math.min(stop, at + 7_000 + (at % 5) * 1_300));
          at += piece.length;
          source.served++;
          return { done: false, value: piece };
        },
        async cancel() {
          at = stop;
        },
        releaseLock() {},
        recycle(piece) {
          source.handedBack++;
          (piece.buffer as ArrayBuffer & { transfer(length: number): ArrayBuffer }).transfer(0);
        },
      };
      const body = { getReader: () => reader, cancel: () => reader.cancel() };
      // As the registry client answers: a range held to its length, a run-on body as it came.
      return ignoresRange ? { ...body, runsOn: true } : sliceBody(body, 0, end - start);
    },
  };
  return source;
}

describe("body pieces handed back to be freed", () => {
  it("hands back every piece once copied, and the archive is byte-correct", async () => {
    const { image: img, blobs } = image([300_000, 90_000, 5_000]);
    const plan = planImageArchive([img]);
    const source = recyclingSource(blobs, false);
    const sink = memorySink(plan.totalSize, true);
    await downloadArchive({ plan, source, sink, createHasher: nodeHasher, chunkSize: 64 * 1024, connections: 4, ...fast });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(source.handedBack).toBe(source.served);
  });

  it("keeps a piece whose tail belongs to the next chunk until that tail is copied (a server that ignores Range)", async () => {
    const { image: img, blobs } = image([400_000, 150_000]);
    const plan = planImageArchive([img]);
    const source = recyclingSource(blobs, true);
    const sink = memorySink(plan.totalSize, true);
    await downloadArchive({ plan, source, sink, createHasher: nodeHasher, chunkSize: 50_000, connections: 3, ...fast });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(source.handedBack).toBeGreaterThan(0);
  });

  const kept = [
    { sink: "a file that cannot read back (what waits for the hash is kept as a copy)", make: (size: number) => memorySink(size, false), handsBack: true },
    { sink: "a stream written in order (pieces are kept as they came)", make: () => streamSink(), handsBack: false },
  ];
  for (const { sink, make, handsBack } of kept) {
    it(`hands back ${handsBack ? "every piece" : "nothing"} for ${sink}`, async () => {
      const { image: img, blobs } = image([200_000, 60_000]);
      const plan = planImageArchive([img]);
      const source = recyclingSource(blobs, false);
      const out = make(plan.totalSize);
      await downloadArchive({ plan, source, sink: out, createHasher: nodeHasher, chunkSize: 64 * 1024, connections: 3, ...fast });
      const written = "bytes" in out ? out.bytes : Buffer.concat(out.parts);
      expect(Buffer.from(written)).toEqual(Buffer.from(writePlanToBuffer(plan, blobs)));
      expect(source.handedBack).toBe(handsBack ? source.served : 0);
    });
  }
});

