// The download engine stopped and resumed, with the in-memory doubles of
// engine-doubles.ts: an abort ends it with CANCELLED, the state it saves lets a later run
// skip what was verified or written, saves come when layers verify and never overlap,
// and a state saved for another image is ignored.
import { createSHA256 } from "hash-wasm";
import { describe, expect, it } from "vitest";
import { downloadArchive, type EngineState, type Progress } from "../../shared/engine/index.ts";
import { DockerdlError } from "../../shared/errors.ts";
import { planImageArchive, writePlanToBuffer } from "../../shared/image-archive.ts";
import { blobSegments } from "../../shared/tar.ts";
import { rehashedOnResume } from "../../cli/file-sink.ts";
import { fast, image, laterHasher, memorySink, memorySource, nodeHasher } from "./engine-doubles.ts";

describe("downloadArchive stopped and resumed", () => {
  it("stops when aborted, with CANCELLED", async () => {
    const { image: img, blobs } = image([2_000_000]);
    const plan = planImageArchive([img]);
    const controller = new AbortController();
    // Stopped as soon as the first bytes are in, well before the 2 MB are.
    const onProgress = (p: Progress) => {
      if (p.doneBytes > 0) controller.abort();
    };
    const download = downloadArchive({ plan, source: memorySource(blobs), sink: memorySink(plan.totalSize, true), createHasher: nodeHasher, chunkSize: 64 * 1024, signal: controller.signal, onProgress, ...fast });
    await expect(download).rejects.toThrow(DockerdlError);
    await expect(download).rejects.toMatchObject({ code: "CANCELLED" });
  });

  const hashers = [
    { readable: true, name: "read-back, native hasher", createHasher: nodeHasher },
    { readable: false, name: "hash-wasm saved state", createHasher: createSHA256 },
    { readable: false, name: "a hasher that answers later, saved state", createHasher: laterHasher() },
  ];
  for (const { readable, name, createHasher } of hashers) {
    it(`resumes a stopped download without refetching what it had (${name})`, async () => {
      const { image: img, blobs } = image([600_000, 300_000, 40_000]);
      const plan = planImageArchive([img]);
      const sink = memorySink(plan.totalSize, readable);
      const controller = new AbortController();
      let saved: EngineState | undefined;
      const first = memorySource(blobs);
      const options = { plan, sink, createHasher, chunkSize: 64 * 1024, connections: 3, checkpointIntervalMs: 0, ...fast };
      const stopped = downloadArchive({
        ...options,
        source: first,
        signal: controller.signal,
        onCheckpoint: (state) => {
          saved = JSON.parse(JSON.stringify(state)) as EngineState;
        },
        onProgress: (p) => {
          if (p.doneBytes > plan.totalSize / 2) controller.abort();
        },
      });
      await expect(stopped).rejects.toThrow(DockerdlError);
      await expect(stopped).rejects.toMatchObject({ code: "CANCELLED" });
      expect(saved).toBeDefined();
      const had = Object.values(saved!.blobs).reduce((n, b) => n + (b.verified ? 0 : b.received.reduce((a, r) => a + r, 0)), 0)
        + img.layers.filter((l) => saved!.blobs[l.digest]?.verified).reduce((n, l) => n + l.size, 0);
      expect(had).toBeGreaterThan(0);

      const second = memorySource(blobs);
      const result = await downloadArchive({ ...options, source: second, resume: saved });
      expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
      expect(result.fetchedBytes + first.fetched).toBeLessThan(940_000 + 400_000);
      if (readable) expect(result.fetchedBytes).toBe(940_000 - had);
      else expect(result.fetchedBytes).toBeLessThanOrEqual(940_000 - (result.resumedBytes));
      expect(result.resumedBytes).toBeGreaterThan(0);
    });
  }

  it("resumes from any state saved while a hasher that answers later was still hashing, without hashing a byte twice", async () => {
    const { image: img, blobs } = image([300_000, 200_000]);
    const plan = planImageArchive([img]);
    const states: EngineState[] = [];
    // Every update waits for its answer: a checkpoint can come while one is on its way.
    const options = { plan, createHasher: laterHasher(0), chunkSize: 64 * 1024, connections: 2, checkpointIntervalMs: 0, ...fast };
    await downloadArchive({
      ...options, source: memorySource(blobs), sink: memorySink(plan.totalSize, false),
      onCheckpoint: (state) => void states.push(JSON.parse(JSON.stringify(state)) as EngineState),
    });
    const midway = states.filter((s) => Object.values(s.blobs).some((b) => !b.verified && b.hashed > 0));
    expect(midway.length).toBeGreaterThan(2);
    for (const state of midway.filter((_, i) => i % Math.ceil(midway.length / 6) === 0)) {
      const sink = memorySink(plan.totalSize, false);
      sink.bytes.set(writePlanToBuffer(plan, blobs));
      const result = await downloadArchive({ ...options, source: memorySource(blobs), sink, resume: state });
      // A saved hash state ahead of or behind its cursor would fail the digest and refetch the layer.
      expect(result.fetchedBytes).toBe(500_000 - result.resumedBytes);
      expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    }
  });

  it("saves its state as soon as a layer is verified, whatever the checkpoint interval", async () => {
    const { image: img, blobs } = image([5_000, 7_000, 9_000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, true);
    const verifiedAtCheckpoints: number[] = [];
    await downloadArchive({
      plan, source: memorySource(blobs), sink, createHasher: nodeHasher, connections: 1, checkpointIntervalMs: 3_600_000, ...fast,
      onCheckpoint: (state) => {
        verifiedAtCheckpoints.push(Object.values(state.blobs).filter((b) => b.verified).length);
      },
    });
    // One save per verified layer (plus the final one), not just the final one.
    expect(verifiedAtCheckpoints.slice(0, 3)).toEqual([1, 2, 3]);
  });

  it("never runs two saves at once, even when layers verify together", async () => {
    const { image: img, blobs } = image([3_000, 3_000, 3_000, 3_000, 3_000, 3_000]);
    const plan = planImageArchive([img]);
    let active = 0;
    let overlapped = false;
    let saves = 0;
    await downloadArchive({
      plan, source: memorySource(blobs), sink: memorySink(plan.totalSize, true), createHasher: nodeHasher, connections: 6, checkpointIntervalMs: 0, ...fast,
      onCheckpoint: async () => {
        if (active++ > 0) overlapped = true;
        // Deliberate: a save that takes a while, so layers verifying meanwhile would start a second one.
        await new Promise((r) => setTimeout(r, 5));
        active--;
        saves++;
      },
    });
    expect(saves).toBeGreaterThanOrEqual(6);
    expect(overlapped).toBe(false);
  });

  it("hashes a resumed layer again when the CLI distrusts its state, and fetches one whose bytes changed since", async () => {
    const { image: img, blobs } = image([200_000, 150_000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, true);
    let saved: EngineState | undefined;
    const options = { plan, sink, createHasher: nodeHasher, chunkSize: 64 * 1024, ...fast };
    await downloadArchive({ ...options, source: memorySource(blobs), onCheckpoint: (state) => void (saved = JSON.parse(JSON.stringify(state)) as EngineState) });
    expect(Object.values(saved!.blobs).every((b) => b.verified)).toBe(true);
    // One byte of the second layer changes in the sink after its state called it verified.
    const altered = img.layers[1];
    sink.bytes[blobSegments(plan).find((s) => s.key === altered.digest)!.offset + 10] ^= 0xff;
    const again = memorySource(blobs);
    const result = await downloadArchive({ ...options, source: again, resume: rehashedOnResume(saved!) });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(result.fetchedBytes).toBe(altered.size);
  });

  it("ignores a state saved for another image", async () => {
    const { image: img, blobs } = image([100_000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, true);
    const foreign: EngineState = { version: 1, planId: "something-else", headersWritten: true, blobs: { [img.layers[0].digest]: { hashed: 0, received: [100_000], verified: true } } };
    const result = await downloadArchive({ plan, source: memorySource(blobs), sink, createHasher: nodeHasher, resume: foreign, ...fast });
    expect(result.resumedBytes).toBe(0);
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
  });

});
