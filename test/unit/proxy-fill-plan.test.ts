// The numbers a fill plans by: R2's single-put ceiling (5 GiB − 5 MiB, not 5 GiB), part
// sizes that keep a blob within R2's 10,000 parts and its 5 MiB least, and the books that
// brake how many fills one client and one isolate may order.
import { describe, expect, it } from "vitest";
import { claimRelay, forgetFill, mayOrderFill, noteFill, releaseRelay } from "../../proxy/cache/background-fills.ts";
import { DEFAULT_PART_SIZE, partSizeFor, R2_MAX_PARTS, R2_MAX_SINGLE_PUT, R2_MIN_PART } from "../../proxy/cache/r2-limits.ts";
import { loadConfig } from "../../proxy/config.ts";

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

describe("R2's limits", () => {
  it("one put holds at most 5 GiB − 5 MiB, and the config never plans a larger one", () => {
    expect(R2_MAX_SINGLE_PUT).toBe(5_363_466_240);
    expect(loadConfig({}).singlePutLimit).toBe(R2_MAX_SINGLE_PUT);
    expect(loadConfig({ R2_SINGLE_PUT_LIMIT: String(5 * GIB) }).singlePutLimit).toBe(R2_MAX_SINGLE_PUT);
  });

  it.each([
    ["a 7 MiB blob", 7 * MIB, DEFAULT_PART_SIZE, DEFAULT_PART_SIZE],
    ["20 GB at the default", 20e9, DEFAULT_PART_SIZE, DEFAULT_PART_SIZE],
    ["a part size below R2's least", 100 * MIB, MIB, R2_MIN_PART],
    ["400 GiB, past 10,000 parts of 32 MiB", 400 * GIB, DEFAULT_PART_SIZE, 41 * MIB],
  ])("%s takes parts of the size R2 allows", (_, length, target, expected) => {
    const size = partSizeFor(length, target);
    expect(size).toBe(expected);
    expect(Math.ceil(length / size)).toBeLessThanOrEqual(R2_MAX_PARTS);
  });

  it("refuses a blob no part size can fit", () => {
    expect(() => partSizeFor(R2_MAX_PARTS * 6 * GIB)).toThrow(/larger than R2's 5 GiB/);
  });
});

describe("the books of ordered fills", () => {
  const IDLE = 30_000;
  const t0 = 1_800_000_000_000;
  const stillRunning = async () => true;
  let n = 0;
  const digest = () => `sha256:${String(++n).padStart(64, "0")}`;

  it("one client orders at most two; another client still may; the isolate at most four", async () => {
    const mine = [digest(), digest(), digest()];
    for (const d of mine.slice(0, 2)) {
      expect(await mayOrderFill(d, "a", t0, IDLE, stillRunning)).toBe(true);
      noteFill(d, "a", t0);
    }
    expect(await mayOrderFill(mine[2], "a", t0, IDLE, stillRunning)).toBe(false);
    const theirs = [digest(), digest(), digest()];
    for (const d of theirs.slice(0, 2)) {
      expect(await mayOrderFill(d, "b", t0, IDLE, stillRunning)).toBe(true);
      noteFill(d, "b", t0);
    }
    expect(await mayOrderFill(theirs[2], "c", t0, IDLE, stillRunning)).toBe(false);
    // Nobody asked for them for FILL_IDLE: they stop, and their places are free again.
    expect(await mayOrderFill(theirs[2], "c", t0 + IDLE + 1, IDLE, stillRunning)).toBe(true);
  });

  it("at a bound, fills that ended are forgotten when their objects say so", async () => {
    const ended = new Set<string>();
    const a = [digest(), digest()];
    for (const d of a) noteFill(d, "x", t0);
    const next = digest();
    expect(await mayOrderFill(next, "x", t0, IDLE, async (d) => !ended.has(d))).toBe(false);
    ended.add(a[0]);
    expect(await mayOrderFill(next, "x", t0, IDLE, async (d) => !ended.has(d))).toBe(true);
    for (const d of [a[1], next]) forgetFill(d);
  });

  it("a blob this isolate relays into R2 itself is neither relayed twice nor ordered", async () => {
    const d = digest();
    expect(claimRelay(d)).toBe(true);
    expect(claimRelay(d)).toBe(false);
    expect(await mayOrderFill(d, "y", t0, IDLE, stillRunning)).toBe(false);
    releaseRelay(d);
    expect(claimRelay(d)).toBe(true);
    releaseRelay(d);
  });
});
