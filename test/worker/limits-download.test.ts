// /api/download within the Free plan's 50 subrequests
// (https://developers.cloudflare.com/workers/platform/limits/, "Subrequests"), under the
// limits harness: an image of 20 layers is the whole tar, one of 40 (its layers' GETs,
// each with the redirect Docker Hub sends, and token renewals: over 50) is refused before
// the first byte; neither breaks a limit. Written against the code of 2026-12-05, which
// asked for every layer with a HEAD before the first byte and then GET each one: the
// 40-layer image broke the limit at subrequest 51, the tar cut short.
import { expect } from "vitest";
import { digestOf, randomBlob } from "./blobs.ts";
import { test, UPSTREAM_KEY, type MirrorUnderTest } from "./mirror.ts";

const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/** A single-platform image of `count` small layers on the fake upstream; its reference. */
function pushImage(mirror: MirrorUnderTest, count: number): string {
  const repository = `acme/layers-${count}`;
  mirror.upstream.addRepository(repository, { private: false });
  const layers = Array.from({ length: count }, () => randomBlob(1024));
  const config = digestOf(new TextEncoder().encode(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) } })));
  for (const blob of [config, ...layers]) mirror.upstream.addBlob(repository, blob.digest, blob.bytes);
  const manifest = digestOf(new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: DOCKER_CONFIG, digest: config.digest, size: config.bytes.byteLength },
    layers: layers.map((blob) => ({ mediaType: DOCKER_LAYER, digest: blob.digest, size: blob.bytes.byteLength })),
  })));
  mirror.upstream.addManifest(repository, "1", { ...manifest, mediaType: DOCKER_MANIFEST });
  return `${UPSTREAM_KEY}/${repository}:1`;
}

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
