// /api/download within the Free plan's 50 subrequests
// (https://developers.cloudflare.com/workers/platform/limits/, "Subrequests"), under the
// limits harness: an image of 20 layers is the whole tar, one of 40 (its layers' GETs,
// each with the redirect Docker Hub sends, and token renewals: over 50) is refused before
// the first byte; neither breaks a limit. Written against the code of 2026-12-05, which
// asked for every layer with a HEAD before the first byte and then GET each one: the
// 40-layer image broke the limit at subrequest 51, the tar cut short.
import { expect } from "vitest";
import { pushImage as pushTestImage, randomBlob } from "./blobs.ts";
import { test, type MirrorUnderTest } from "./mirror.ts";

/** A single-platform image of `count` small layers on the fake upstream; its reference. */
const pushImage = (mirror: MirrorUnderTest, count: number) =>
  pushTestImage(mirror.upstream, `acme/layers-${count}`, Array.from({ length: count }, () => randomBlob(1024)));

test("/api/download streams a 20-layer image within the Free plan's 50 subrequests", async ({ mirror }) => {
  const response = await mirror.fetch(`/api/download?${new URLSearchParams({ image: pushImage(mirror, 20) })}`);
  expect(response.status).toBe(200);
  const tar = new Uint8Array(await response.arrayBuffer());
  expect(tar.byteLength).toBe(Number(response.headers.get("content-length")));
  await mirror.settle();
  expect(await mirror.takeViolations()).toEqual([]);
});

test("/api/download refuses a 40-layer image before the first byte, naming the Free plan's limit, and breaks none", async ({ mirror }) => {
  const response = await mirror.fetch(`/api/download?${new URLSearchParams({ image: pushImage(mirror, 40) })}`);
  expect(response.status).toBe(422);
  expect(await response.json()).toMatchObject({ error: { code: "TOO_MANY_SUBREQUESTS", message: expect.stringMatching(/Free plan allows 50 subrequests per request/) } });
  await mirror.settle();
  expect(await mirror.takeViolations()).toEqual([]);
});
