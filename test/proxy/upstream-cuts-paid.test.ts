// Upstream cuts on the Paid plan's relay (issue #25): a whole GET of an uncached blob is
// relayed to the client and into one R2 put at once (cache/cache-relay.ts); when the
// upstream cuts it part way, the relay goes on from where it stopped, so the client gets
// the blob byte for byte and R2 accepts it (it checks the digest of the whole). As in
// upstream-cuts.test.ts, a cut reaches the Worker here as a body that stands still.
import { expect } from "vitest";
import { blobKey, pullToken, randomBlob, readAll, v2Path } from "./blobs.ts";
import { testWith } from "./mirror.ts";

const test = testWith({ PLAN: "paid", UPSTREAM_IDLE_TIMEOUT: "2" });

test("a whole GET the upstream cuts once reaches the client whole and is cached", async ({ mirror }) => {
  const blob = randomBlob(6_000_000);
  mirror.upstream.addRepository("cuts/paid", { private: false });
  mirror.upstream.addBlob("cuts/paid", blob.digest, blob.bytes);
  mirror.upstream.misbehave("cuts/paid", blob.digest, "cut-once");
  const authorization = `Bearer ${await pullToken(mirror, "cuts/paid")}`;
  const since = mirror.upstream.log.length;
  const response = await mirror.fetch(v2Path("cuts/paid", `blobs/${blob.digest}`), { headers: { authorization } });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-length")).toBe(String(blob.bytes.byteLength));
  const read = await readAll(response);
  expect(read.error).toBeUndefined();
  expect(read.bytes).toEqual(blob.bytes);
  await mirror.settle();
  expect((await mirror.bucket.head(blobKey(blob)))?.size).toBe(blob.bytes.byteLength);
  const gets = mirror.upstream.log.slice(since).filter((l) => l.method === "GET" && l.path.endsWith(blob.digest));
  expect(gets.map((l) => l.range)).toEqual([null, expect.stringMatching(/^bytes=\d+-5999999$/)]);
});
