// A fill's upstream bytes count against the client that started it (issue #26 point 5):
// one-byte ranged reads once made the upstream send tens of MB each. Each fill a client
// starts is charged its blob's size against FILL_BUDGET bytes per hour; past it, the
// client's reads (ranged or whole) are served, passed through, but start no fill. The
// hour passes on the Worker's clock, which the test moves.
import { expect } from "vitest";
import { blobKey, pullToken, randomBlob, readAll, v2Path, type TestBlob } from "./blobs.ts";
import { testWith, type MirrorUnderTest } from "./mirror.ts";

const BLOB_SIZE = 20_000;
/** Room for two of the blobs, not three. */
const test = testWith({ FILL_BUDGET: String(2.5 * BLOB_SIZE) });
const REPOSITORY = "team/budget";

async function read(mirror: MirrorUnderTest, blob: TestBlob, authorization: string, range?: string) {
  const response = await mirror.fetch(v2Path(REPOSITORY, `blobs/${blob.digest}`), { headers: { authorization, ...(range ? { range } : {}) } });
  expect(response.status).toBe(range ? 206 : 200);
  expect((await readAll(response)).bytes).toEqual(range ? blob.bytes.subarray(0, 1) : blob.bytes);
  await mirror.settle();
}

const cached = async (mirror: MirrorUnderTest, blob: TestBlob) => (await mirror.bucket.head(blobKey(blob))) !== null;

test("fills start while the client's FILL_BUDGET lasts; past it reads are served without one, until the hour is over", async ({ mirror }) => {
  mirror.upstream.addRepository(REPOSITORY, { private: false });
  const blobs = Array.from({ length: 5 }, () => randomBlob(BLOB_SIZE));
  for (const blob of blobs) mirror.upstream.addBlob(REPOSITORY, blob.digest, blob.bytes);
  const authorization = `Bearer ${await pullToken(mirror, REPOSITORY)}`;
  const wholeReads = () => mirror.upstream.log.filter((entry) => entry.path.includes("/blobs/") && entry.range === null && entry.method === "GET").length;

  for (const blob of blobs.slice(0, 3)) await read(mirror, blob, authorization, "bytes=0-0");
  // A whole read past the budget is served all the same, and starts no fill either.
  await read(mirror, blobs[3], authorization);
  expect(await Promise.all(blobs.slice(0, 4).map((blob) => cached(mirror, blob)))).toEqual([true, true, false, false]);
  // Two fills' whole reads and the client's own whole read: nothing more went upstream whole.
  expect(wholeReads()).toBe(3);

  await mirror.advanceClock(60 * 60 * 1000);
  await read(mirror, blobs[2], authorization, "bytes=0-0");
  expect(await cached(mirror, blobs[2])).toBe(true);
});
