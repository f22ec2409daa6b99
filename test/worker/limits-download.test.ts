// /api/download of an image of 40 layers within the Free plan's 50 subrequests
// (https://developers.cloudflare.com/workers/platform/limits/, "Subrequests"), under the
// limits harness: the whole tar, and no breach. Written to fail on the code of 2026-12,
// which asks for every layer with a HEAD before the first byte and then GETs each one:
// over 50 fetches for one request before the tar is half sent.
import { expect } from "vitest";
import { digestOf, randomBlob } from "./blobs.ts";
import { test, UPSTREAM_KEY, type MirrorUnderTest } from "./mirror.ts";

const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/** A single-platform image of `count` small layers on the fake upstream; its reference. */
function pushImage(mirror: MirrorUnderTest, count: number): string {
  const repository = "acme/forty-layers";
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

test("/api/download streams a 40-layer image within the Free plan's 50 subrequests", async ({ mirror }) => {
  const response = await mirror.fetch(`/api/download?${new URLSearchParams({ image: pushImage(mirror, 40) })}`);
  expect(response.status).toBe(200);
  const tar = new Uint8Array(await response.arrayBuffer());
  expect(tar.byteLength).toBe(Number(response.headers.get("content-length")));
  await mirror.settle();
  expect(await mirror.takeViolations()).toEqual([]);
});
