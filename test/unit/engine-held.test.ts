// The engine taking ranges read whole into the runtime's storage (BodyReader.readHeld: a
// browser's Blob, here Node's) and handing them to the sink's writeHeld and the hasher's
// updateHeld without reading them: the same archive as from pieces, whether the sink
// reads back or not; a break or a short body asked for again from where it stopped; a
// body longer than asked refused; a sink without writeHeld never offered one.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { downloadArchive } from "../../shared/engine/index.ts";
import type { BlobHasher } from "../../shared/engine/index.ts";
import type { BodyReader, HeldBytes, HttpBody } from "../../shared/http.ts";
import { planImageArchive, writePlanToBuffer } from "../../shared/image-archive.ts";
import { sliceBody } from "../../shared/registry/blobs.ts";
import { fast, image, memorySink, memorySource } from "./engine-doubles.ts";

type Mode = "whole" | "decline" | "break" | "long" | "refuse";

interface Counts {
  held: number;
  pieceReads: number;
  declined: number;
}

/** Bodies whose readHeld does what `mode` says for the nth body; counts what the engine did with them. */
function heldBodies(mode: (n: number) => Mode): { counts: Counts; bodies: (stream: ReadableStream<Uint8Array>) => HttpBody } {
  const counts: Counts = { held: 0, pieceReads: 0, declined: 0 };
  let n = 0;
  const bodies = (stream: ReadableStream<Uint8Array>): HttpBody => {
    const m = mode(n++);
    return {
      cancel: (reason) => stream.cancel(reason),
      getReader(): BodyReader {
        const reader = stream.getReader();
        return {
          read: () => {
            counts.pieceReads++;
            return reader.read();
          },
          cancel: (reason) => reader.cancel(reason),
          releaseLock: () => reader.releaseLock(),
          async readHeld(wanted) {
            if (m === "refuse") throw new Error("readHeld called on a sink without writeHeld");
            if (m === "decline") {
              counts.declined++;
              return undefined;
            }
            if (m === "break") throw new TypeError("network error");
            const parts: Uint8Array<ArrayBuffer>[] = [];
            for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value as Uint8Array<ArrayBuffer>);
            if (m === "long") parts.push(new Uint8Array(1));
            const blob = new Blob(parts);
            if (blob.size > 0 && blob.size <= wanted) counts.held++;
            return blob;
          },
        };
      },
    };
  };
  return { counts, bodies };
}

async function bytesOf(held: HeldBytes): Promise<Uint8Array> {
  if (!(held instanceof Blob)) throw new Error("held bytes that are not a Blob");
  return new Uint8Array(await held.arrayBuffer());
}

/** node:crypto's SHA-256 with updateHeld, counting what it hashed that way. */
function heldHasher(count: { bytes: number }): () => Promise<BlobHasher> {
  return async () => {
    let h = createHash("sha256");
    return {
      init: () => (h = createHash("sha256")),
      update: (d) => h.update(d),
      updateHeld: async (held) => {
        const bytes = await bytesOf(held);
        count.bytes += bytes.length;
        h.update(bytes);
      },
      digest: () => h.digest("hex"),
    };
  };
}

function heldSink(size: number, readable: boolean) {
  const sink = memorySink(size, readable);
  const written = { held: 0 };
  return Object.assign(sink, {
    written,
    async writeHeld(position: number, held: HeldBytes) {
      const bytes = await bytesOf(held);
      written.held += bytes.length;
      await sink.write(position, bytes);
    },
  });
}

describe("downloadArchive with ranges read whole", () => {
  for (const readable of [true, false]) {
    it(`writes exactly the planned archive, the bytes never read by the engine (${readable ? "read-back" : "held until hashed"})`, async () => {
      const { image: img, blobs } = image([300_000, 5, 0, 70_000, 1_000_000]);
      const plan = planImageArchive([img]);
      const sink = heldSink(plan.totalSize, readable);
      const { counts, bodies } = heldBodies(() => "whole");
      const hashed = { bytes: 0 };
      const result = await downloadArchive({
        plan, source: memorySource(blobs, undefined, bodies), sink, createHasher: heldHasher(hashed), chunkSize: 64 * 1024, connections: 5, memoryBudget: 256 * 1024, ...fast,
      });
      expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
      expect(result.fetchedBytes).toBe(1_370_005);
      expect(counts.pieceReads).toBe(0);
      expect(sink.written.held).toBe(1_370_005);
      // With a sink that reads back, ranges ahead of the hash cursor are hashed from the file.
      if (readable) expect(hashed.bytes).toBeGreaterThan(0);
      else expect(hashed.bytes).toBe(1_370_005);
    });
  }

  it("reads piece by piece the bodies that decline, whole the others", async () => {
    const { image: img, blobs } = image([600_000, 200_000]);
    const plan = planImageArchive([img]);
    const sink = heldSink(plan.totalSize, false);
    const { counts, bodies } = heldBodies((n) => (n % 2 === 0 ? "decline" : "whole"));
    await downloadArchive({ plan, source: memorySource(blobs, undefined, bodies), sink, createHasher: heldHasher({ bytes: 0 }), chunkSize: 50_000, connections: 3, ...fast });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(counts.declined).toBeGreaterThan(3);
    expect(counts.held).toBeGreaterThan(3);
    expect(counts.pieceReads).toBeGreaterThan(3);
  });

  it("asks again for a range whose whole read broke", async () => {
    const { image: img, blobs } = image([400_000]);
    const plan = planImageArchive([img]);
    const sink = heldSink(plan.totalSize, false);
    const retries: number[] = [];
    const { bodies } = heldBodies((n) => (n === 1 ? "break" : "whole"));
    await downloadArchive({
      plan, source: memorySource(blobs, undefined, bodies), sink, createHasher: heldHasher({ bytes: 0 }), chunkSize: 100_000, connections: 1, onRetry: (e) => retries.push(e.position), ...fast,
    });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(retries).toEqual([100_000]);
  });

  it("keeps what a body that ended early held, and asks for the rest from there", async () => {
    const { image: img, blobs } = image([400_000]);
    const plan = planImageArchive([img]);
    const sink = heldSink(plan.totalSize, false);
    const retries: number[] = [];
    const { bodies } = heldBodies(() => "whole");
    // The second range's first body ends halfway (at 150 000).
    const source = memorySource(blobs, (_d, start, _end, call) => (call === 1 && start === 100_000 ? "truncate" : undefined), bodies);
    await downloadArchive({ plan, source, sink, createHasher: heldHasher({ bytes: 0 }), chunkSize: 100_000, connections: 1, onRetry: (e) => retries.push(e.position), ...fast });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(retries).toEqual([150_000]);
    expect(sink.written.held).toBe(400_000);
  });

  it("refuses a body that held more than was asked, and finishes nothing", async () => {
    const { image: img, blobs } = image([200_000]);
    const plan = planImageArchive([img]);
    const sink = heldSink(plan.totalSize, false);
    const { bodies } = heldBodies(() => "long");
    const progress: boolean[] = [];
    const download = downloadArchive({
      plan, source: memorySource(blobs, undefined, bodies), sink, createHasher: heldHasher({ bytes: 0 }), chunkSize: 100_000, retries: 1,
      onProgress: (p) => progress.push(p.layers.every((l) => l.verified)), ...fast,
    });
    await expect(download).rejects.toMatchObject({ code: "UPSTREAM", message: expect.stringMatching(/came as 100001 bytes where 100000 were asked/) });
    expect(sink.written.held).toBe(0);
    expect(progress).not.toContain(true);
  });

  it("never offers a whole read to a sink without writeHeld", async () => {
    const { image: img, blobs } = image([300_000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, false);
    const { counts, bodies } = heldBodies(() => "refuse");
    await downloadArchive({ plan, source: memorySource(blobs, undefined, bodies), sink, createHasher: heldHasher({ bytes: 0 }), chunkSize: 100_000, ...fast });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(counts.pieceReads).toBeGreaterThan(3);
  });
});

describe("a slice of a body that can be read whole", () => {
  const body = (size: number): { body: HttpBody; asked: number[] } => {
    const asked: number[] = [];
    return {
      asked,
      body: {
        cancel: async () => {},
        getReader: () => ({
          read: async () => ({ done: true, value: undefined }),
          cancel: async () => {},
          releaseLock: () => {},
          readHeld: async (wanted: number) => {
            asked.push(wanted);
            return new Blob([new Uint8Array(size)]);
          },
        }),
      },
    };
  };

  it("is read whole only when it is the source's whole body", async () => {
    const whole = body(1000);
    expect((await sliceBody(whole.body, 0, 1000).getReader().readHeld?.(1000))?.size).toBe(1000);
    expect(whole.asked).toEqual([1000]);
    // Another length than the slice's, a slice after a skip, or one the source runs on past: declined, the source not asked.
    for (const [skip, length, more, wanted] of [[0, 1000, false, 999], [10, 990, false, 990], [0, 1000, true, 1000]] as const) {
      const other = body(1000);
      expect(await sliceBody(other.body, skip, length, more).getReader().readHeld?.(wanted)).toBeUndefined();
      expect(other.asked).toEqual([]);
    }
  });
});
