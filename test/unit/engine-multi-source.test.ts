// One pull from several sources (shared/engine/multi-source.ts) with in-memory sources
// (engine-doubles.ts): every source takes a share and the archive is exact; a source
// missing a blob is skipped for it; one that flips bytes is found, named, dropped, and
// the archive is still exact; one that dies part way is left and the others finish;
// one that never answers is given up on after stallMs;
// the faster source takes more; a slow source's last range is raced by an idle fast one.
import { describe, expect, it } from "vitest";
import { downloadArchive, MultiSource, type BlobSource, type SourceEvent } from "../../shared/engine/index.ts";
import { planImageArchive, writePlanToBuffer } from "../../shared/image-archive.ts";
import { fast, image, memorySink, memorySource, nodeHasher } from "./engine-doubles.ts";

/** `source`, each piece of its bodies `ms` late. */
function slowed(source: BlobSource, ms: number): BlobSource {
  return {
    async fetchRange(digest, start, end, signal) {
      const reader = (await source.fetchRange(digest, start, end, signal)).getReader();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((r) => setTimeout(r, ms)); // deliberate: a slow link
          const { done, value } = await reader.read();
          if (done === true || value === undefined) controller.close();
          else controller.enqueue(value);
        },
        cancel: () => reader.cancel(),
      });
      return stream;
    },
  };
}

async function pull(layerSizes: number[], sources: BlobSource[], options: { chunkSize?: number; connections?: number; raceMinMs?: number } = {}) {
  const { image: img, blobs } = image(layerSizes);
  const plan = planImageArchive([img]);
  const sink = memorySink(plan.totalSize, true);
  const events: SourceEvent[] = [];
  const multi = new MultiSource(sources.map((source, i) => ({ name: `s${i}`, source, connections: options.connections ?? 2 })), {
    createHasher: nodeHasher, onEvent: (e) => events.push(e), tickMs: 20, stallMs: 2000, raceMinMs: options.raceMinMs ?? 60_000,
  });
  const result = await downloadArchive({ plan, source: multi, sink, createHasher: nodeHasher, chunkSize: options.chunkSize ?? 64 * 1024, connections: multi.connections, ...fast });
  multi.close();
  return { sink, expected: writePlanToBuffer(plan, blobs), events, stats: multi.stats(), result, blobs };
}

describe("MultiSource: one pull from several sources", () => {
  it("uses every source and writes exactly the planned archive", async () => {
    const sources = [0, 1, 2].map(() => memorySource(image([700_000, 300_000]).blobs));
    const { sink, expected, stats, events } = await pull([700_000, 300_000], sources);
    expect(sink.bytes).toEqual(expected);
    for (const s of sources) expect(s.fetched).toBeGreaterThan(0);
    expect(stats.map((s) => s.bytes).reduce((a, b) => a + b)).toBe(1_000_000);
    expect(events).toEqual([]);
  });

  it("skips a source that answers 404 for a blob and takes it from the others", async () => {
    const { blobs } = image([500_000]);
    const missing = memorySource(blobs, () => "404");
    const { sink, expected, events, stats } = await pull([500_000], [missing, memorySource(blobs)]);
    expect(sink.bytes).toEqual(expected);
    expect(missing.fetched).toBe(0);
    expect(events.filter((e) => e.kind === "skipped").map((e) => e.source)).toEqual(["s0"]);
    expect(stats[0].skipped).toBe(1);
    expect(stats[0].dropped).toBeUndefined();
  });

  for (const honest of [1, 2]) {
    it(`finds, names and drops a source that flips bytes in one range (${honest} honest beside it)`, async () => {
      const { blobs } = image([600_000]);
      const liar = memorySource(blobs, (_d, _s, _e, call) => (call === 0 ? "corrupt" : undefined));
      const others = Array.from({ length: honest }, () => memorySource(blobs));
      const { sink, expected, events, stats } = await pull([600_000], [liar, ...others]);
      expect(sink.bytes).toEqual(expected);
      const blamed = events.filter((e) => e.kind === "blamed");
      expect(blamed.map((e) => e.source)).toEqual(["s0"]);
      expect(stats[0].dropped).toMatch(/wrong bytes/);
      for (const s of stats.slice(1)) expect(s.dropped).toBeUndefined();
    });
  }

  it("leaves a source that dies part way (a reset, then 503s); the others finish without the engine's retries", async () => {
    const { blobs } = image([1_000_000]);
    const dying = memorySource(blobs, (_d, _s, _e, call) => (call < 2 ? undefined : call === 2 ? "reset" : "503"));
    const retries: unknown[] = [];
    const { image: img } = image([1_000_000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, true);
    const events: SourceEvent[] = [];
    const multi = new MultiSource([{ name: "dying", source: dying, connections: 2 }, { name: "good", source: memorySource(blobs), connections: 2 }], { createHasher: nodeHasher, onEvent: (e) => events.push(e), tickMs: 20 });
    await downloadArchive({ plan, source: multi, sink, createHasher: nodeHasher, chunkSize: 64 * 1024, connections: multi.connections, onRetry: (e) => retries.push(e), ...fast });
    multi.close();
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(events).toEqual([]); // cooling down, not dropped yet: the pull ended first
    const [dyingStats, goodStats] = multi.stats();
    expect(goodStats.bytes).toBeGreaterThan(dyingStats.bytes);
    expect(retries).toEqual([]);
  });

  it("gives up on a source that does not answer within stallMs and goes on elsewhere", async () => {
    const { blobs } = image([400_000]);
    let asked = 0;
    const silent: BlobSource = {
      fetchRange: (_digest, _start, _end, signal) => new Promise((_resolve, reject) => {
        asked++;
        signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
      }),
    };
    const { image: img } = image([400_000]);
    const plan = planImageArchive([img]);
    const sink = memorySink(plan.totalSize, true);
    const multi = new MultiSource([{ name: "silent", source: silent, connections: 1 }, { name: "good", source: memorySource(blobs), connections: 1 }], { createHasher: nodeHasher, tickMs: 20, stallMs: 200 });
    const started = Date.now();
    await downloadArchive({ plan, source: multi, sink, createHasher: nodeHasher, chunkSize: 64 * 1024, connections: multi.connections, ...fast });
    multi.close();
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(asked).toBeGreaterThan(0);
    expect(multi.stats()[0].bytes).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("stops a body whose read waits past stallMs, not one the engine has not read for as long", async () => {
    const { blobs } = image([200_000]);
    const [digest, bytes] = [...blobs][0];
    const served = memorySource(blobs);
    const mixed: BlobSource = {
      fetchRange: (d, start, end, signal) => (d === digest ? served.fetchRange(d, start, end, signal) : Promise.resolve(new ReadableStream<Uint8Array>({ cancel: () => {} }))),
    };
    let clock = 1_000_000;
    const multi = new MultiSource([{ name: "mixed", source: mixed, connections: 4 }], { createHasher: nodeHasher, tickMs: 10, stallMs: 1000, now: () => clock });
    const signal = new AbortController().signal;
    const unread = (await multi.fetchRange(digest, 0, bytes.length, signal)).getReader();
    const first = await unread.read();
    const waiting = (await multi.fetchRange("sha256:other", 0, 100, signal)).getReader().read();
    clock += 5000; // the engine reads nothing of the first body meanwhile
    await expect(waiting).rejects.toThrow(/no source is left/);
    const parts = [first.value!];
    for (let r = await unread.read(); r.value !== undefined; r = await unread.read()) parts.push(r.value);
    expect(Buffer.concat(parts).equals(Buffer.from(bytes))).toBe(true);
    multi.close();
  });

  it("gives the faster source more of the work", async () => {
    const { blobs } = image([2_000_000]);
    const quick = memorySource(blobs);
    const slow = memorySource(blobs);
    const { sink, expected, stats } = await pull([2_000_000], [slowed(slow, 15), quick], { connections: 1 });
    expect(sink.bytes).toEqual(expected);
    expect(stats[1].bytes).toBeGreaterThan(3 * stats[0].bytes);
  });

  it("races a slow source's last range on an idle fast one", async () => {
    const { blobs } = image([1_000_000]);
    const quick = memorySource(blobs);
    const slow = memorySource(blobs);
    const started = Date.now();
    // 128 KiB ranges: the slow source's one range takes ~32 pieces × 40 ms alone.
    const { sink, expected, stats } = await pull([1_000_000], [slowed(slow, 40), quick], { connections: 1, chunkSize: 128 * 1024, raceMinMs: 100 });
    expect(sink.bytes).toEqual(expected);
    expect(stats[1].bytes).toBeGreaterThan(900_000);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
