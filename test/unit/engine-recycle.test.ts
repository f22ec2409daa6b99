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
      return { getReader: () => reader, cancel: () => reader.cancel(), ...(ignoresRange ? { runsOn: true } : {}) };
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

  it("hands back every piece to a sink that cannot read back too: what waits for the hash is kept as a copy", async () => {
    const { image: img, blobs } = image([200_000, 60_000]);
    const plan = planImageArchive([img]);
    const source = recyclingSource(blobs, false);
    const random = memorySink(plan.totalSize, false);
    await downloadArchive({ plan, source, sink: random, createHasher: nodeHasher, chunkSize: 64 * 1024, connections: 3, ...fast });
    expect(random.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(source.handedBack).toBe(source.served);
  });

  it("hands back nothing when the engine keeps pieces as they came (a stream, written in order)", async () => {
    const { image: img, blobs } = image([200_000, 60_000]);
    const plan = planImageArchive([img]);
    const source = recyclingSource(blobs, false);
    const stream = streamSink();
    await downloadArchive({ plan, source, sink: stream, createHasher: nodeHasher, chunkSize: 64 * 1024, connections: 3, ...fast });
    expect(Buffer.concat(stream.parts)).toEqual(Buffer.from(writePlanToBuffer(plan, blobs)));
    expect(source.handedBack).toBe(0);
  });
});

describe("a sliced body read into a buffer", () => {
  it("hands a piece it copied whole back to its source, and keeps one it copied in part until the rest is read", async () => {
    const pieces = [new Uint8Array(100).fill(1), new Uint8Array(300).fill(2)];
    const handedBack: Uint8Array[] = [];
    const source: BodyReader = {
      read: async () => (pieces.length > 0 ? { done: false, value: pieces.shift() } : { done: true, value: undefined }),
      cancel: async () => {},
      releaseLock() {},
      recycle: (piece) => void handedBack.push(piece),
    };
    const sliced = sliceBody({ getReader: () => source, cancel: async () => {} }, 0, 400).getReader();
    const first = await sliced.readInto!(new Uint8Array(200));
    expect([first.length, handedBack.length]).toEqual([100, 1]);
    const part = await sliced.readInto!(new Uint8Array(200));
    // 200 of the second piece's 300 copied: the rest waits in it.
    expect([part.length, handedBack.length]).toEqual([200, 1]);
    const rest = await sliced.readInto!(new Uint8Array(200));
    expect(rest.length).toBe(100);
  });
});
