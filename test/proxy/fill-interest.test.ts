// Work does not outlive the clients that want it (issue #12, point 8): a background fill
// started by a ranged read stops FILL_IDLE seconds after the last byte a client read of
// the blob, a full read whose client hangs up stops its fill, and a client may run only
// a couple of fills at once. The upstream stalls or trickles whole reads so a fill is
// still running when the test decides; a stopped fill leaves nothing in R2 once the
// Worker's background work has settled, where a fill that went on would have cached the
// blob. FILL_IDLE passes on the Worker's clock, which the tests move (nothing waits it out).
import { get } from "node:http";
import { expect } from "vitest";
import { blobKey, pullToken, randomBlob, readAll, v2Path, type TestBlob } from "./blobs.ts";
import { releaseStalled, type Misbehaviour } from "./hostile.ts";
import { testWith, type MirrorUnderTest } from "./mirror.ts";

const FILL_IDLE_MS = 60_000;
const test = testWith({ FILL_IDLE: String(FILL_IDLE_MS / 1000) });
const REPOSITORY = "team/interest";
/** 32 MiB trickled at 256 KiB per 40 ms: 5 s or more for a whole read, so a fill that went on would be seen caching it. */
const TRICKLED_SIZE = 32 * 1024 * 1024;
const STALLED_SIZE = 1024 * 1024;

async function uncachedBlob(mirror: MirrorUnderTest, how: Misbehaviour, size: number): Promise<{ blob: TestBlob; authorization: string }> {
  mirror.upstream.addRepository(REPOSITORY, { private: false });
  const blob = randomBlob(size);
  mirror.upstream.addBlob(REPOSITORY, blob.digest, blob.bytes);
  mirror.upstream.misbehave(REPOSITORY, blob.digest, how);
  return { blob, authorization: `Bearer ${await pullToken(mirror, REPOSITORY)}` };
}

async function readRange(mirror: MirrorUnderTest, blob: TestBlob, authorization: string, start: number, headers: Record<string, string> = {}) {
  const end = Math.min(start + 65535, blob.bytes.length - 1);
  const response = await mirror.fetch(v2Path(REPOSITORY, `blobs/${blob.digest}`), { headers: { authorization, range: `bytes=${start}-${end}`, ...headers } });
  expect(response.status).toBe(206);
  expect((await readAll(response)).bytes).toEqual(blob.bytes.subarray(start, end + 1));
}

test("a background fill stops when no client has read its blob for FILL_IDLE seconds", async ({ mirror }) => {
  const { blob, authorization } = await uncachedBlob(mirror, "trickle-whole", TRICKLED_SIZE);
  await readRange(mirror, blob, authorization, 0);
  await mirror.advanceClock(FILL_IDLE_MS + 1000);
  await mirror.settle();
  expect(await mirror.bucket.head(blobKey(blob))).toBeNull();
});

test("a client reading on keeps the fill going until the blob is cached", async ({ mirror }) => {
  const { blob, authorization } = await uncachedBlob(mirror, "stall-whole", STALLED_SIZE);
  await readRange(mirror, blob, authorization, 0);
  // Twice FILL_IDLE passes while the fill's upstream read stalls, a client reading every 0.6 of it.
  for (let read = 1; read <= 3; read++) {
    await mirror.advanceClock(0.6 * FILL_IDLE_MS);
    await readRange(mirror, blob, authorization, read * 65536);
  }
  releaseStalled();
  await mirror.settle();
  expect((await mirror.bucket.head(blobKey(blob)))?.size).toBe(STALLED_SIZE);
});

test("a full read whose client hangs up stops filling the cache", async ({ mirror }) => {
  const { blob, authorization } = await uncachedBlob(mirror, "trickle-whole", TRICKLED_SIZE);
  // A real socket, closed after the first bytes, as a client that gives up closes it. (That
  // the upstream connection closes too can't be seen here: the test harness carries the
  // Worker's outbound fetches through Node's own, which does not pass the abort on.)
  await new Promise<void>((resolve, reject) => {
    const request = get(new URL(v2Path(REPOSITORY, `blobs/${blob.digest}`), mirror.url), { headers: { authorization } }, (response) => {
      expect(response.statusCode).toBe(200);
      response.once("data", () => {
        request.destroy();
        resolve();
      });
    });
    request.on("error", (error) => (request.destroyed ? resolve() : reject(error)));
  });
  await mirror.advanceClock(FILL_IDLE_MS + 1000);
  await mirror.settle();
  expect(await mirror.bucket.head(blobKey(blob))).toBeNull();
});

test("one client runs at most two background fills; another client may still start one", async ({ mirror }) => {
  mirror.upstream.addRepository(REPOSITORY, { private: false });
  const blobs = Array.from({ length: 4 }, () => randomBlob(100_000));
  for (const blob of blobs) {
    mirror.upstream.addBlob(REPOSITORY, blob.digest, blob.bytes);
    mirror.upstream.misbehave(REPOSITORY, blob.digest, "stall-whole");
  }
  const authorization = `Bearer ${await pullToken(mirror, REPOSITORY)}`;
  const wholeReads = (blob: TestBlob) => mirror.upstream.log.filter((r) => r.method === "GET" && r.range === null && r.path.endsWith(blob.digest)).length;
  const first = (blob: TestBlob, ip: string) => readRange(mirror, blob, authorization, 0, { "cf-connecting-ip": ip });

  await first(blobs[0], "198.51.100.7");
  await first(blobs[1], "198.51.100.7");
  await expect.poll(() => [wholeReads(blobs[0]), wholeReads(blobs[1])]).toEqual([1, 1]);
  await first(blobs[2], "198.51.100.7");
  await first(blobs[3], "203.0.113.9");
  await expect.poll(() => wholeReads(blobs[3])).toBe(1);
  expect(wholeReads(blobs[2])).toBe(0);
  releaseStalled();
  await mirror.settle();
});
