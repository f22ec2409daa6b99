// Background fills are not free: a ranged read of an uncached blob starts a whole
// download into R2, so each start counts against the requester's rate limit (the ranged
// reads themselves never do), and a requester over it is served its ranges without one.
import { expect } from "vitest";
import { blobKey, pullToken, randomBlob, readAll, v2Path } from "./blobs.ts";
import { testWith } from "./mirror.ts";

const test = testWith({ RATE_LIMIT: "3" });

test("a ranged read starts a fill only while the requester is within RATE_LIMIT, and is served either way", async ({ mirror }) => {
  mirror.upstream.addRepository("team/limits", { private: false });
  const blobs = Array.from({ length: 4 }, () => randomBlob(20_000));
  for (const blob of blobs) mirror.upstream.addBlob("team/limits", blob.digest, blob.bytes);
  // One counted request: the token. Two fill starts are left in this minute.
  const authorization = `Bearer ${await pullToken(mirror, "team/limits")}`;
  for (const blob of blobs) {
    const response = await mirror.fetch(v2Path("team/limits", `blobs/${blob.digest}`), { headers: { authorization, range: "bytes=0-0" } });
    expect(response.status).toBe(206);
    expect((await readAll(response)).bytes).toEqual(blob.bytes.subarray(0, 1));
    await mirror.settle();
  }
  const filled = await Promise.all(blobs.map(async (blob) => (await mirror.bucket.head(blobKey(blob))) !== null));
  expect(filled).toEqual([true, true, false, false]);
});
