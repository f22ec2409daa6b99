// What a lying source costs a multi-source pull (shared/engine/source-blame.ts and
// blob-mend.ts), with in-memory sources (engine-doubles.ts): once the liar is known only
// what it served is fetched again, not the whole blob; two liars are both found; a pull
// where nobody lies hashes each byte once when the sink reads back (the served ranges
// are hashed only to investigate), and per range as it passes when it cannot.
import { describe, expect, it } from "vitest";
import { downloadArchive, MultiSource, type BlobHasher, type BlobSource, type SourceEvent } from "../../shared/engine/index.ts";
import { planImageArchive, writePlanToBuffer } from "../../shared/image-archive.ts";
import { createSHA256 } from "hash-wasm";
import { investigate, ServedLog } from "../../shared/engine/source-blame.ts";
import { SourceMeter } from "../../shared/engine/source-meter.ts";
import { fast, image, memorySink, memorySource, nodeHasher } from "./engine-doubles.ts";

const SIZE = 2_000_000;

/** nodeHasher, counting every byte any hasher is given. */
function countingHasher(): { createHasher: () => Promise<BlobHasher>; hashed: () => number } {
  let hashed = 0;
  return {
    hashed: () => hashed,
    createHasher: async () => {
      const inner = await nodeHasher();
      return { init: () => inner.init?.(), update: (d) => { hashed += d.length; return inner.update(d); }, digest: (e) => inner.digest(e) };
    },
  };
}

/** hash-wasm with saved states, refusing any call once digested (as the web app's hashing thread does). */
async function spentHasher(): Promise<BlobHasher> {
  const h = await createSHA256();
  let spent = false;
  const live = () => {
    if (spent) throw new Error("this hasher has digested already");
  };
  return {
    init: () => void (live(), h.init()),
    update: (d) => void (live(), h.update(d)),
    save: () => (live(), h.save()),
    load: (state) => void (live(), h.load(state)),
    digest: () => (live(), (spent = true), h.digest("hex")),
  };
}

async function pull(sources: BlobSource[], o: { readable?: boolean; hasher?: Pick<ReturnType<typeof countingHasher>, "createHasher">; checkpoints?: number[]; events?: SourceEvent[] } = {}) {
  const { image: img, blobs } = image([SIZE]);
  const plan = planImageArchive([img]);
  const sink = memorySink(plan.totalSize, o.readable ?? true);
  let written = 0;
  const write = sink.write.bind(sink);
  sink.write = (position, bytes) => {
    written += bytes.length;
    return write(position, bytes);
  };
  const events: SourceEvent[] = o.events ?? [];
  const createHasher = o.hasher?.createHasher ?? nodeHasher;
  const multi = new MultiSource(sources.map((source, i) => ({ name: `s${i}`, source, connections: 2 })), { createHasher, onEvent: (e) => events.push(e), tickMs: 20, stallMs: 2000, raceMinMs: 60_000 });
  const { checkpoints } = o;
  await downloadArchive({
    plan, source: multi, sink, createHasher, chunkSize: 64 * 1024, connections: multi.connections, ...fast,
    ...(checkpoints ? { checkpointIntervalMs: 0, onCheckpoint: (state) => void checkpoints.push(Object.values(state.blobs)[0].hashed) } : {}),
  });
  multi.close();
  expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
  return { events, stats: multi.stats(), rewritten: written - plan.totalSize, blobs };
}

/** Flips a byte in the range of call `call` and no other. */
const liarOn = (call: number) => (_d: string, _s: number, _e: number, n: number) => (n === call ? "corrupt" as const : undefined);
/** Flips a byte in every range it sends, the investigation's refetches too. */
const alwaysLies = () => "corrupt" as const;

/** `source` with each body answered `ms` late: which source's comparison ends first is set by it. */
function late(source: BlobSource, ms: number): BlobSource {
  return {
    async fetchRange(digest, start, end, signal) {
      await new Promise((r) => setTimeout(r, ms)); // deliberate: a slow answer
      return source.fetchRange(digest, start, end, signal);
    },
  };
}

describe("a lying source in a multi-source pull", () => {
  for (const honest of [1, 2]) {
    it(`fetches again only the ranges the liar served, not the whole layer (${honest} honest beside it)`, async () => {
      const { blobs } = image([SIZE]);
      const liar = memorySource(blobs, liarOn(0));
      const { events, stats, rewritten } = await pull([liar, ...Array.from({ length: honest }, () => memorySource(blobs))]);
      expect(events.filter((e) => e.kind === "blamed").map((e) => e.source)).toEqual(["s0"]);
      // The liar's bytes, in whole chunks (64 KiB) at most, written again; nobody else's.
      expect(rewritten).toBeGreaterThan(0);
      expect(rewritten).toBeLessThanOrEqual(stats[0].bytes + 64 * 1024);
      expect(rewritten).toBeLessThan(SIZE * 0.75);
    });
  }

  it("a liar that flipped bytes in two of its ranges: the piece it was caught on, then the rest of what it served; the file is exact", async () => {
    const { blobs } = image([SIZE]);
    const liar = memorySource(blobs, (_d, _s, _e, n) => (n === 0 || n === 3 ? "corrupt" : undefined));
    const { events, stats, rewritten } = await pull([liar, memorySource(blobs), memorySource(blobs)]);
    expect(events.filter((e) => e.kind === "blamed").map((e) => e.source)).toEqual(["s0"]);
    expect(rewritten).toBeLessThanOrEqual(stats[0].bytes + 2 * 64 * 1024);
  });

  it("saves checkpoints while the sources are asked who lied, without touching the spent hasher", async () => {
    const { blobs } = image([SIZE]);
    const checkpoints: number[] = [];
    const { events } = await pull([memorySource(blobs, liarOn(0)), memorySource(blobs), memorySource(blobs)], { hasher: { createHasher: spentHasher }, checkpoints });
    expect(events.filter((e) => e.kind === "blamed").map((e) => e.source)).toEqual(["s0"]);
    expect(checkpoints.length).toBeGreaterThan(0);
  });

  it("finds, names and drops two liars flipping bytes in different ranges; the file is exact", async () => {
    const { blobs } = image([SIZE]);
    const sources = [memorySource(blobs, liarOn(0)), memorySource(blobs), memorySource(blobs, liarOn(1)), memorySource(blobs)];
    const { events, stats } = await pull(sources);
    expect(events.filter((e) => e.kind === "blamed").map((e) => e.source).sort()).toEqual(["s0", "s2"]);
    expect(stats.map((s) => s.dropped === undefined)).toEqual([false, true, false, true]);
  });


});

describe("two sources, one flipping a byte in everything it sends (its refetches too)", () => {
  // A layer of many chunks split between the two: every comparison differs, so a mere
  // difference cannot say who lied; the honest source answering late makes the first
  // difference found the one on a range the honest source served.
  for (const [name, order] of [["the liar first", [0, 1]], ["the honest source first", [1, 0]]] as const) {
    it(`blames the liar, never the honest source, and the file is exact (${name} in the list)`, async () => {
      const { blobs } = image([SIZE]);
      const sources = [late(memorySource(blobs, alwaysLies), 0), late(memorySource(blobs), 15)];
      const liarName = `s${order.indexOf(0)}`;
      const { events, stats } = await pull(order.map((i) => sources[i]));
      const blamed = events.filter((e) => e.kind === "blamed");
      expect(blamed.map((e) => e.source)).toEqual([liarName]);
      // Every comparison differed: the digest, with the liar's bytes replaced, told who lied.
      expect(blamed[0].kind === "blamed" && blamed[0].reason).toMatch(/matches its digest with everything s\d sent replaced/);
      expect(stats.filter((s) => s.dropped !== undefined).map((s) => s.name)).toEqual([liarName]);
      expect(stats.find((s) => s.name !== liarName)?.bytes).toBeGreaterThan(0);
    });
  }

  it("a liar flipping one range, without read-back: the other's ranges all agree with it asked again, so it is the one blamed; the file is exact", async () => {
    const { blobs } = image([SIZE]);
    const { events } = await pull([late(memorySource(blobs, liarOn(0)), 0), late(memorySource(blobs), 15)], { readable: false });
    const blamed = events.filter((e) => e.kind === "blamed");
    expect(blamed.map((e) => e.source)).toEqual(["s0"]);
    expect(blamed[0].kind === "blamed" && blamed[0].reason).toMatch(/s0 agrees with everything else in the layer/);
  });

  it("without read-back (-o -): names both as disagreeing, blames neither, and the pull fails", async () => {
    const { blobs } = image([SIZE]);
    const events: SourceEvent[] = [];
    await expect(pull([late(memorySource(blobs, alwaysLies), 0), late(memorySource(blobs), 15)], { readable: false, events })).rejects.toThrow(/corrupt/);
    expect(events.filter((e) => e.kind === "blamed")).toEqual([]);
    const disagree = events.filter((e) => e.kind === "disagree");
    expect(disagree.length).toBeGreaterThan(0);
    for (const e of disagree) expect(e.kind === "disagree" && [...e.sources].sort()).toEqual(["s0", "s1"]);
  });
});

describe("hashing in a multi-source pull where nobody lies", () => {
  it("hashes each byte once when the sink reads back", async () => {
    const { blobs } = image([SIZE]);
    const hasher = countingHasher();
    await pull([0, 1, 2].map(() => memorySource(blobs)), { hasher });
    const blobBytes = [...blobs.values()].reduce((n, b) => n + b.length, 0);
    expect(hasher.hashed()).toBe(blobBytes);
  });

  it("hashes each source's ranges as they pass when the sink cannot read back (nothing is left to read)", async () => {
    const { blobs } = image([SIZE]);
    const hasher = countingHasher();
    await pull([0, 1, 2].map(() => memorySource(blobs)), { hasher, readable: false });
    expect(hasher.hashed()).toBe(2 * [...blobs.values()].reduce((n, b) => n + b.length, 0));
  });
});

describe("asking who lied", () => {
  // A range an honest source wrote, the layer failed (elsewhere): the others are asked in
  // list order, two liars lying differently first. Only asking on until two answers agree
  // keeps the honest writer from being blamed for what the two liars each said.
  it("asks on past two liars that disagree with the writer and each other until two agree, and blames the first liar, not the writer", async () => {
    const { blobs } = image([SIZE]);
    const [digest, bytes] = [...blobs][0];
    const meter = (name: string, source: BlobSource) => new SourceMeter({ name, source, connections: 1 }, 0);
    const writer = meter("writer", memorySource(blobs));
    const others = [meter("first-liar", memorySource(blobs, alwaysLies)), meter("last-liar", memorySource(blobs, () => "corrupt-last")), meter("honest", memorySource(blobs))];
    const blamed: string[] = [];
    const caught = await investigate(digest, [{ meter: writer, start: 0, end: 100_000, agreed: new Set() }], {
      others: (exclude) => others.filter((m) => !exclude.has(m)),
      blame: (m, start, end, reason) => void blamed.push(`${m.name} ${start}-${end}: ${reason}`),
      disagree: () => expect.unreachable("a third source was there to ask"),
    }, { createHasher: nodeHasher, signal: new AbortController().signal, read: async (start, length) => bytes.slice(start, start + length) });
    expect(blamed).toEqual(["first-liar 0-100000: writer and honest agree on those bytes and it does not"]);
    expect(caught).toEqual({ liar: others[0], start: 0, end: 100_000, written: false });
  });
});

describe("the served log", () => {
  it("says who wrote the file's bytes now: a range written again is no longer the first writer's", () => {
    const log = new ServedLog();
    log.readBack = true;
    const noSource = { fetchRange: () => Promise.reject(new Error("not asked")) };
    const [a, b] = ["a", "b"].map((name) => new SourceMeter({ name, source: noSource, connections: 1 }, 0));
    const bytes = (n: number) => new Uint8Array(n);
    log.record("d", a, 0, bytes(60), nodeHasher);
    log.record("d", a, 60, bytes(40), nodeHasher);
    // A liar caught on bytes 50-60: that piece is cut, and its whole chunk (50-80) fetched again from another source.
    log.cut("d", 50, 60);
    log.record("d", b, 50, bytes(30), nodeHasher);
    expect(log.of("d").map((s) => [s.meter.name, s.start, s.end]).sort((x, y) => (x[1] as number) - (y[1] as number))).toEqual([["a", 0, 50], ["b", 50, 80], ["a", 80, 100]]);
  });
});
