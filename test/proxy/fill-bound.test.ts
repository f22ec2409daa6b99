// Background fills are bounded per isolate: while as many as it allows are still
// running (stalled upstream here), a ranged read of yet another uncached blob is served
// but starts no whole download.
import { expect } from "vitest";
import { pullToken, randomBlob, readAll, v2Path, type TestBlob } from "./blobs.ts";
import { releaseStalled } from "./hostile.ts";
import { test, type MirrorUnderTest } from "./mirror.ts";

const BOUND = 4;

/** Each read from its own client, so the per-client bound (fill-interest.test.ts) is not what stops a fill here. */
let clients = 0;

async function readFirstByte(mirror: MirrorUnderTest, blob: TestBlob, authorization: string) {
  const ip = `198.51.100.${++clients}`;
  const response = await mirror.fetch(v2Path("team/bound", `blobs/${blob.digest}`), { headers: { authorization, range: "bytes=0-0", "cf-connecting-ip": ip } });
  expect(response.status).toBe(206);
  expect((await readAll(response)).bytes).toEqual(blob.bytes.subarray(0, 1));
}

test(`no more than ${BOUND} background fills run at once`, async ({ mirror }) => {
  mirror.upstream.addRepository("team/bound", { private: false });
  const stalled = Array.from({ length: BOUND }, () => randomBlob(100_000));
  const extra = randomBlob(100_000);
  for (const blob of [...stalled, extra]) mirror.upstream.addBlob("team/bound", blob.digest, blob.bytes);
  for (const blob of stalled) mirror.upstream.misbehave("team/bound", blob.digest, "stall-whole");
  const authorization = `Bearer ${await pullToken(mirror, "team/bound")}`;
  const wholeReads = (blob: TestBlob) => mirror.upstream.log.filter((r) => r.method === "GET" && r.range === null && r.path.endsWith(blob.digest)).length;

  for (const blob of stalled) await readFirstByte(mirror, blob, authorization);
  await expect.poll(() => stalled.map(wholeReads)).toEqual(stalled.map(() => 1));
  await readFirstByte(mirror, extra, authorization);
  expect(wholeReads(extra)).toBe(0);

  releaseStalled();
  await mirror.settle();
  await readFirstByte(mirror, extra, authorization);
  await mirror.settle();
  expect(wholeReads(extra)).toBe(1);
});
