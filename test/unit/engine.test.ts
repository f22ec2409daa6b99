// The download engine with an in-memory source and sinks: parallel ranged chunks give
// the same bytes as the planned archive, hashing stays in order, faults are retried
// from the last byte, corrupt blobs are refetched once then refused, a stopped
// download resumes without refetching what it had, and memory stays in its budget.
import { createHash } from "node:crypto";
import { createSHA256 } from "hash-wasm";
import { describe, expect, it } from "vitest";
import { downloadArchive, type BlobSource, type EngineState, type Hasher, type Progress, type RandomAccessSink, type SequentialSink } from "../../shared/engine/index.ts";
import { DockerdlError } from "../../shared/errors.ts";
import { planImageArchive, writePlanToBuffer, type ArchiveImage } from "../../shared/image-archive.ts";
import { RegistryError } from "../../shared/registry-errors.ts";

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function randomBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function image(layerSizes: number[]): { image: ArchiveImage; blobs: Map<string, Uint8Array> } {
  const blobs = new Map<string, Uint8Array>();
  const layers = layerSizes.map((size, i) => {
    const bytes = randomBytes(i + 1, size);
    const digest = sha256(bytes);
    blobs.set(digest, bytes);
    return { digest, size, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" };
  });
  const config = new TextEncoder().encode(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) } }));
  const manifest = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, layers }));
  return {
    image: {
      repoTags: ["test/engine:v1"],
      manifest: { bytes: manifest, digest: sha256(manifest), mediaType: "application/vnd.oci.image.manifest.v1+json" },
      config: { bytes: config, digest: sha256(config) },
      layers,
    },
    blobs,
  };
}

type Fault = (digest: string, start: number, end: number, call: number) => "reset" | "truncate" | "corrupt" | "503" | "429" | "404" | undefined;

/** Serves ranges from memory in small pieces, yielding between them so chunks interleave. */
function memorySource(blobs: Map<string, Uint8Array>, fault: Fault = () => undefined): BlobSource & { fetched: number; calls: number } {
  const source = {
    fetched: 0,
    calls: 0,
    async fetchRange(digest: string, start: number, end: number): Promise<ReadableStream<Uint8Array>> {
      const call = source.calls++;
      const bytes = blobs.get(digest);
      if (!bytes) throw new Error(`no blob ${digest}`);
      const f = fault(digest, start, end, call);
      if (f === "503") throw new RegistryError("UPSTREAM", "registry answered 503", { status: 503 });
      if (f === "429") throw new RegistryError("RATE_LIMITED", "slow down", { status: 429, retryAfterMs: 20 });
      if (f === "404") throw new RegistryError("NOT_FOUND", `blob ${digest} was not found`, { status: 404 });
      const stop = f === "reset" || f === "truncate" ? start + Math.floor((end - start) / 2) : end;
      let at = start;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          // Deliberate: a macrotask between pieces, as a network gives, so parallel chunks interleave.
          await new Promise((r) => setTimeout(r, 0));
          if (at >= stop) {
            if (f === "reset") controller.error(new TypeError("terminated: other side closed"));
            else controller.close();
            return;
          }
          const piece = bytes.slice(at, Math.min(stop, at + 4096 + (at % 3) * 1000));
          if (f === "corrupt" && at === start) piece[0] ^= 0xff;
          at += piece.length;
          source.fetched += piece.length;
          controller.enqueue(piece);
        },
      });
    },
  };
  return source;
}

function memorySink(size: number, readable: boolean): RandomAccessSink & { bytes: Uint8Array } {
  const bytes = new Uint8Array(size);
  const sink: RandomAccessSink & { bytes: Uint8Array } = {
    kind: "random-access",
    bytes,
    async write(position, data) {
      if (position + data.length > size) throw new RangeError("write past the end");
      bytes.set(data, position);
    },
  };
  if (readable) sink.read = async (position, length) => bytes.slice(position, position + length);
  return sink;
}

const nodeHasher = async (): Promise<Hasher> => {
  let h = createHash("sha256");
  return { init: () => (h = createHash("sha256")), update: (d) => h.update(d), digest: () => h.digest("hex") };
};

const fast = { baseDelayMs: 1, maxDelayMs: 5, progressIntervalMs: 0 };

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

  it("retries 5xx bursts and 429 (after Retry-After)", async () => {
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

  it("fails at once on an error that will not go away", async () => {
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

  for (const readable of [true, false]) {
    it(`resumes a stopped download without refetching what it had (${readable ? "read-back, native hasher" : "hash-wasm saved state"})`, async () => {
      const { image: img, blobs } = image([600_000, 300_000, 40_000]);
      const plan = planImageArchive([img]);
      const sink = memorySink(plan.totalSize, readable);
      const controller = new AbortController();
      let saved: EngineState | undefined;
      const first = memorySource(blobs);
      const createHasher = readable ? nodeHasher : createSHA256;
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

  it("ignores a state saved for another image", async () => {
    const { image: img, blobs } = image([100_000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, true);
    const foreign: EngineState = { version: 1, planId: "something-else", headersWritten: true, blobs: { [img.layers[0].digest]: { hashed: 0, received: [100_000], verified: true } } };
    const result = await downloadArchive({ plan, source: memorySource(blobs), sink, createHasher: nodeHasher, resume: foreign, ...fast });
    expect(result.resumedBytes).toBe(0);
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
  });

  it("keeps chunks held for in-order hashing within the memory budget", async () => {
    const { image: img, blobs } = image([3_000_000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, false);
    let peak = 0;
    let held = 0;
    // Measure what the engine holds: bytes written but not yet hashed ≈ written - hashed.
    const budget = 256 * 1024;
    const hasher = async (): Promise<Hasher> => {
      const inner = await nodeHasher();
      return { init: () => inner.init(), update: (d) => { held -= d.length; inner.update(d); }, digest: () => inner.digest() };
    };
    const counting: RandomAccessSink = { kind: "random-access", write: async (p, d) => { held += d.length; peak = Math.max(peak, held); await sink.write(p, d); } };
    await downloadArchive({ plan, source: memorySource(blobs), sink: counting, createHasher: hasher, chunkSize: 64 * 1024, connections: 6, memoryBudget: budget, ...fast });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(peak).toBeLessThan(budget + 6 * 8 * 1024);
  });
});

describe("downloadArchive into a sequential sink", () => {
  function streamSink(): SequentialSink & { parts: Uint8Array[] } {
    const parts: Uint8Array[] = [];
    // Deliberate: a consumer that yields on every write, like a stream with backpressure.
    return { kind: "sequential", parts, write: async (b) => { parts.push(b.slice()); await new Promise((r) => setTimeout(r, 0)); } };
  }

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
