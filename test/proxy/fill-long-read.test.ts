// A client that reads a blob in one long GET (docker, skopeo and containerd read a layer
// that way) wants it for as long as it reads: its fill goes on until the blob is cached,
// even when the read lasts several times FILL_IDLE. Before, a request said it wanted the
// blob only when it began, so the fill of a layer that took longer than FILL_IDLE to read
// stopped half way (a 2 GiB layer through `wrangler dev` was never cached). Real time
// here: FILL_IDLE is one second, and the client's read is held half way for three.
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import { blobKey, pullToken, randomBlob, v2Path } from "./blobs.ts";
import { releaseStalled } from "./hostile.ts";
import { testWith } from "./mirror.ts";

const FILL_IDLE_S = 1;
const test = testWith({ FILL_IDLE: String(FILL_IDLE_S) });
const REPOSITORY = "team/long-read";
/** Above the 1 MiB a whole answer is checked in before its client sees a byte: streamed. */
const SIZE = 4 * 1024 * 1024;

test("one whole read lasting several times FILL_IDLE keeps its fill going until the blob is cached", async ({ mirror }) => {
  mirror.upstream.addRepository(REPOSITORY, { private: false });
  const blob = randomBlob(SIZE);
  mirror.upstream.addBlob(REPOSITORY, blob.digest, blob.bytes);
  // Every whole read (the client's, and the fill's own) sends half the blob, then waits.
  mirror.upstream.misbehave(REPOSITORY, blob.digest, "stall-whole");
  const authorization = `Bearer ${await pullToken(mirror, REPOSITORY)}`;
  const response = await mirror.fetch(v2Path(REPOSITORY, `blobs/${blob.digest}`), { headers: { authorization } });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  const parts: Uint8Array[] = [];
  let received = 0;
  while (received < SIZE / 2) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.length;
  }
  expect(received).toBe(SIZE / 2);
  // The scenario, not a wait for something: a client still reading, three FILL_IDLEs long.
  await sleep(3 * FILL_IDLE_S * 1000);
  releaseStalled();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  expect(Buffer.concat(parts)).toEqual(Buffer.from(blob.bytes));
  await expect.poll(async () => (await mirror.bucket.head(blobKey(blob)))?.size ?? null, { timeout: 20_000, interval: 250 }).toBe(SIZE);
});
