// A range request that goes quiet (shared/engine/stall-watch.ts): an answer that never
// comes, a body that stops sending with its connection open, a body read whole that
// never ends. Each is given up after the engine's stallMs and retried from the first
// missing byte, whether or not the body's reads end when the request is aborted; the
// archive is the same. Time the engine spends not reading (a slow sink) never counts.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { downloadArchive, type BlobHasher, type BlobSource, type RetryEvent } from "../../shared/engine/index.ts";
import type { BodyReader, HttpBody } from "../../shared/http.ts";
import { planImageArchive, writePlanToBuffer } from "../../shared/image-archive.ts";
import { fast, image, memorySink, memorySource, nodeHasher } from "./engine-doubles.ts";

type Quiet = "answer" | "body" | "body-deaf" | "held";

/**
 * `memorySource`, except that its first request for the first layer goes quiet as
 * `quiet` says: "answer" never answers (until aborted), "body" sends part of the range
 * and then nothing (its reads end when the request is aborted), "body-deaf" the same but
 * its reads end only when cancelled, "held" offers a whole read that never ends.
 */
function quietSource(blobs: Map<string, Uint8Array>, quiet: Quiet): BlobSource & { calls: number } {
  const inner = memorySource(blobs);
  const first = [...blobs.keys()][0];
  let fired = false;
  const source = {
    calls: 0,
    async fetchRange(digest: string, start: number, end: number, signal: AbortSignal): Promise<HttpBody> {
      source.calls++;
      if (fired || digest !== first) return inner.fetchRange(digest, start, end, signal);
      fired = true;
      if (quiet === "answer") {
        return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));
      }
      const bytes = (blobs.get(digest) as Uint8Array).slice(start, start + Math.floor((end - start) / 3));
      let sent = false;
      let wake: ((r: ReadableStreamReadResult<Uint8Array>) => void) | undefined;
      let fail: ((error: unknown) => void) | undefined;
      if (quiet !== "body-deaf") signal.addEventListener("abort", () => fail?.(signal.reason), { once: true });
      const reader: BodyReader = {
        read() {
          if (!sent && quiet !== "held") {
            sent = true;
            return Promise.resolve({ done: false, value: bytes });
          }
          return new Promise((resolve, reject) => ((wake = resolve), (fail = reject)));
        },
        async cancel() {
          wake?.({ done: true, value: undefined });
        },
        releaseLock() {},
        ...(quiet === "held" ? { readHeld: () => new Promise<undefined>((resolve, reject) => ((wake = () => resolve(undefined)), (fail = reject))) } : {}),
      };
      return { getReader: () => reader, cancel: async () => reader.cancel() };
    },
  };
  return source;
}

const heldHasher = async (): Promise<BlobHasher> => {
  let h = createHash("sha256");
  return {
    init: () => (h = createHash("sha256")),
    update: (d) => h.update(d),
    updateHeld: async (held) => void h.update(new Uint8Array(await (held as Blob).arrayBuffer())),
    digest: () => h.digest("hex"),
  };
};

describe("a range request that goes quiet", () => {
  for (const quiet of ["answer", "body", "body-deaf", "held"] as const) {
    it(`is given up after stallMs and retried from its first missing byte (${quiet})`, async () => {
      const { image: img, blobs } = image([300_000, 120_000]);
      const plan = planImageArchive([img]);
      const sink = memorySink(plan.totalSize, true);
      if (quiet === "held") sink.writeHeld = async (position, held) => sink.write(position, new Uint8Array(await (held as Blob).arrayBuffer()));
      const source = quietSource(blobs, quiet);
      const retries: RetryEvent[] = [];
      const result = await downloadArchive({
        plan, source, sink, createHasher: quiet === "held" ? heldHasher : nodeHasher, chunkSize: 400_000, connections: 2, stallMs: 150, ...fast,
        onRetry: (event) => retries.push(event),
      });
      expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
      expect(retries).toHaveLength(1);
      expect(String((retries[0].error as Error).message)).toMatch(quiet === "held"
        ? /^a range of sha256:[0-9a-f]{64} \(at byte 0\), read whole, did not end within 0\.15 s$/
        : /^nothing arrived for 0\.15 s on a range of sha256:[0-9a-f]{64} \(at byte 0\): the connection went quiet$/);
      // The bytes that came before the body went quiet were kept, not fetched again.
      const kept = quiet === "body" || quiet === "body-deaf" ? Math.floor(300_000 / 3) : 0;
      expect(retries[0].position).toBe(kept);
      expect(result.fetchedBytes).toBe(300_000 + 120_000);
    });
  }

  it("leaves a source that watches its own requests (watchesStalls, as a multi-source) to do so", async () => {
    const { image: img, blobs } = image([200_000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, true);
    const inner = memorySource(blobs);
    const source: BlobSource = {
      watchesStalls: true,
      async fetchRange(digest, start, end, signal) {
        // Deliberate: an answer later than stallMs, as a multi-source waiting for a free source gives.
        await new Promise((r) => setTimeout(r, 400));
        return inner.fetchRange(digest, start, end, signal);
      },
    };
    const retries: RetryEvent[] = [];
    await downloadArchive({ plan, source, sink, createHasher: nodeHasher, connections: 2, stallMs: 100, ...fast, onRetry: (event) => retries.push(event) });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(retries).toEqual([]);
  });

  it("does not count time the engine spends not reading: a sink slower than stallMs, mid-range", async () => {
    // Three batches in the one range: the fetcher writes the first two while its body is open.
    const { image: img, blobs } = image([3 * 512 * 1024 - 1000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, true);
    const write = sink.write.bind(sink);
    let slowWrites = 0;
    sink.write = async (position, data) => {
      // Deliberate: a disk slower than the stall limit on every write of layer bytes.
      if (data.length >= 64 * 1024) {
        slowWrites++;
        await new Promise((r) => setTimeout(r, 300));
      }
      await write(position, data);
    };
    const retries: RetryEvent[] = [];
    await downloadArchive({ plan, source: memorySource(blobs), sink, createHasher: nodeHasher, connections: 1, stallMs: 100, ...fast, onRetry: (event) => retries.push(event) });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(slowWrites).toBeGreaterThanOrEqual(3);
    expect(retries).toEqual([]);
  });
});
