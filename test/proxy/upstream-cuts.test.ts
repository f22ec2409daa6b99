// Upstream connections cut part way (issue #25): a client that does not resume (skopeo
// 1.9, older docker, curl of /api/download) still gets one unbroken stream of the stated
// length, byte for byte, because the mirror asks the upstream again from where the cut
// left it (a ranged GET, a fresh token and redirect). An upstream that answers that range
// with the whole blob has its leading bytes skipped; one that keeps cutting makes the
// client's transfer fail, never end short and clean. /v2/ blobs resume on the Paid plan
// (the Free plan keeps the native pipe for them, v2/blob-answer.ts): whole GETs passed
// through (a blob too large for one R2 put, R2_SINGLE_PUT_LIMIT lowered here) and relayed
// into R2 (upstream-cuts-paid.test.ts), and ranges. /api/download resumes on either plan:
// upstream-cuts-free.test.ts.
// In this runtime a cut reaches the Worker as a body that stands still (its outbound
// fetches pass through Node's), so the mirror sees it when UPSTREAM_IDLE_TIMEOUT passes,
// set to 2 s here; deployed, a cut is an error at once (the unit test of resuming-body.ts
// plays both).
import { describe, expect } from "vitest";
import { pullToken, randomBlob, readAll, v2Path, type TestBlob } from "./blobs.ts";
import { CUT_AFTER, type Misbehaviour } from "./hostile.ts";
import type { Logged } from "./fake-registry.ts";
import { testWith, type MirrorUnderTest } from "./mirror.ts";

/** Past the default FILL_IDLE: a fill nobody wants stops. */
const FILL_IDLE_MS = 31_000;

/** Seconds a blob body may stand still: how soon the mirror here sees a cut. */
const IDLE_SECONDS = 2;
/** Blobs above this pass through, below it are relayed into R2 (the SIZE here is above it). */
const SINGLE_PUT_LIMIT = 3_000_000;
const test = testWith({ PLAN: "paid", R2_SINGLE_PUT_LIMIT: String(SINGLE_PUT_LIMIT), UPSTREAM_IDLE_TIMEOUT: String(IDLE_SECONDS) });

/** Larger than the 1 MiB the mirror checks before passing a whole blob on, and than its read chunks. */
const SIZE = 4_000_000;

let repositories = 0;

/** An uncached blob of a new public repository that answers with `kind`, and a token for it. */
async function cutBlob(mirror: MirrorUnderTest, kind: Misbehaviour) {
  const blob = randomBlob(SIZE);
  const repository = `cuts/blob-${++repositories}`;
  mirror.upstream.addRepository(repository, { private: false });
  mirror.upstream.addBlob(repository, blob.digest, blob.bytes);
  mirror.upstream.misbehave(repository, blob.digest, kind);
  const authorization = `Bearer ${await pullToken(mirror, repository)}`;
  return { blob, path: v2Path(repository, `blobs/${blob.digest}`), authorization, since: mirror.upstream.log.length };
}

/** The GETs of `blob` the upstream answered since `since`, in order. */
function blobGets(mirror: MirrorUnderTest, blob: TestBlob, since: number): Logged[] {
  return mirror.upstream.log.slice(since).filter((l) => l.method === "GET" && l.path.endsWith(`/blobs/${blob.digest}`));
}

/** What resuming cost: the bytes the upstream sent beyond `needed`, and the wall time. */
function overhead(what: string, gets: Logged[], needed: number, ms: number): void {
  const sent = gets.reduce((sum, l) => sum + l.bytes, 0);
  console.info(`${what}: ${gets.length} upstream GETs, ${sent - needed} bytes beyond the ${needed} needed (${(((sent - needed) / needed) * 100).toFixed(1)}%), ${ms.toFixed(0)} ms`);
}

describe("an upstream that cuts a blob's connection part way", () => {
  test("a whole GET still reads back byte for byte, with the stated length, resumed from where the cut left it", async ({ mirror }) => {
    const { blob, path, authorization, since } = await cutBlob(mirror, "cut-once");
    const started = performance.now();
    const response = await mirror.fetch(path, { headers: { authorization } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(SIZE));
    const read = await readAll(response);
    const ms = performance.now() - started;
    expect(read.error).toBeUndefined();
    expect(read.bytes).toEqual(blob.bytes);
    // The client's GET, then one resumed range from at most where the cut was; the blob's
    // multipart fill asks for ranges of its own (parts of 5 MiB), from 0.
    const gets = blobGets(mirror, blob, since);
    expect(gets[0].range).toBeNull();
    const resumed = gets.filter((l) => l.range !== null && !l.range.startsWith("bytes=0-"));
    expect(resumed).toHaveLength(1);
    const from = Number(/^bytes=(\d+)-(\d+)$/.exec(resumed[0].range!)?.[1]);
    expect(from).toBeLessThanOrEqual(CUT_AFTER);
    expect(resumed[0].range).toBe(`bytes=${from}-${SIZE - 1}`);
    overhead("whole GET passed through, cut once", [gets[0], resumed[0]], SIZE, ms);
    await mirror.advanceClock(FILL_IDLE_MS);
    await mirror.settle();
  });

  test("a ranged GET reads back the range asked, resumed within it", async ({ mirror }) => {
    const { blob, path, authorization, since } = await cutBlob(mirror, "cut-once");
    const [first, last] = [123_456, 3_456_788];
    const response = await mirror.fetch(path, { headers: { authorization, range: `bytes=${first}-${last}` } });
    expect(response.status).toBe(206);
    expect(response.headers.get("content-range")).toBe(`bytes ${first}-${last}/${SIZE}`);
    expect(response.headers.get("content-length")).toBe(String(last - first + 1));
    const read = await readAll(response);
    expect(read.error).toBeUndefined();
    expect(read.bytes).toEqual(blob.bytes.subarray(first, last + 1));
    const ranges = blobGets(mirror, blob, since).map((l) => l.range);
    expect(ranges[0]).toBe(`bytes=${first}-${last}`);
    expect(ranges).toContainEqual(expect.stringMatching(new RegExp(`^bytes=[1-9]\\d+-${last}$`)));
    await mirror.advanceClock(FILL_IDLE_MS);
    await mirror.settle();
  });

  test("a resumed range the upstream answers with the whole blob has its leading bytes skipped", async ({ mirror }) => {
    const { blob, path, authorization, since } = await cutBlob(mirror, "cut-once-ignore-range");
    const started = performance.now();
    const response = await mirror.fetch(path, { headers: { authorization } });
    expect(response.status).toBe(200);
    const read = await readAll(response);
    expect(read.error).toBeUndefined();
    expect(read.bytes).toEqual(blob.bytes);
    const gets = blobGets(mirror, blob, since);
    overhead("whole GET, cut once, the resumed range answered whole", gets.slice(0, 2), SIZE, performance.now() - started);
    await mirror.advanceClock(FILL_IDLE_MS);
    await mirror.settle();
  });

  test("a blob cut on every attempt ends in a broken transfer, never a short clean one", async ({ mirror }) => {
    const { blob, path, authorization, since } = await cutBlob(mirror, "cut-always");
    const response = await mirror.fetch(path, { headers: { authorization } });
    expect(response.status).toBe(200);
    const read = await readAll(response);
    expect(read.bytes).toBeNull();
    expect(read.error).toBeDefined();
    // A bounded number of resumes, not a loop: the client's GET and at most 3 more.
    expect(blobGets(mirror, blob, since).filter((l) => l.range !== null && !l.range.startsWith("bytes=0-")).length).toBeLessThanOrEqual(3);
    // The blob's cache fill is cut too, and stands still here: nobody wants the blob any more.
    await mirror.advanceClock(FILL_IDLE_MS);
    await mirror.settle();
  });
});
