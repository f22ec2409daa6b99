// /api/download in the Workers runtime against the fake upstream: a whole image streams
// as a tar, and everything that would break it mid-way is a JSON error before the first
// byte: a layer the upstream lacks, a foreign layer (whose URLs the Worker never
// fetches), a config whose platform fields hold CR/LF.
import { describe, expect } from "vitest";
import { digestOf, randomBlob, type TestBlob } from "./blobs.ts";
import { test, UPSTREAM_KEY, type MirrorUnderTest } from "./mirror.ts";

const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
const DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const DOCKER_FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

interface Layer {
  blob: TestBlob;
  /** Not given to the upstream. */
  missing?: boolean;
  /** A foreign layer at these URLs. */
  urls?: string[];
}

let images = 0;

/** A single-platform image pushed to the fake upstream; its reference for /api/download. */
function pushImage(mirror: MirrorUnderTest, layers: Layer[], config: Record<string, unknown> = {}): string {
  const repository = `acme/download-${++images}`;
  mirror.upstream.addRepository(repository, { private: false });
  const configBlob = digestOf(new TextEncoder().encode(JSON.stringify({
    architecture: "amd64",
    os: "linux",
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.blob.digest) },
    ...config,
  })));
  mirror.upstream.addBlob(repository, configBlob.digest, configBlob.bytes);
  for (const layer of layers) if (!layer.missing && !layer.urls) mirror.upstream.addBlob(repository, layer.blob.digest, layer.blob.bytes);
  const manifest = digestOf(new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: DOCKER_CONFIG, digest: configBlob.digest, size: configBlob.bytes.byteLength },
    layers: layers.map(({ blob, urls }) => ({ mediaType: urls ? DOCKER_FOREIGN_LAYER : DOCKER_LAYER, digest: blob.digest, size: blob.bytes.byteLength, ...(urls ? { urls } : {}) })),
  })));
  mirror.upstream.addManifest(repository, "1", { ...manifest, mediaType: DOCKER_MANIFEST });
  return `${UPSTREAM_KEY}/${repository}:1`;
}

const download = (mirror: MirrorUnderTest, image: string) => mirror.fetch(`/api/download?${new URLSearchParams({ image })}`);

describe("/api/download", () => {
  test("streams a whole image as a tar, naming its platform", async ({ mirror }) => {
    const layers = [randomBlob(3000), randomBlob(5000)];
    const response = await download(mirror, pushImage(mirror, layers.map((blob) => ({ blob }))));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-image-platform")).toBe("linux/amd64");
    const tar = new Uint8Array(await response.arrayBuffer());
    expect(tar.byteLength).toBe(Number(response.headers.get("content-length")));
  });

  test("answers a JSON error before any byte when a layer is missing upstream", async ({ mirror }) => {
    const [present, missing] = [randomBlob(3000), randomBlob(4000)];
    const response = await download(mirror, pushImage(mirror, [{ blob: present }, { blob: missing, missing: true }]));
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: { code: "UPSTREAM", message: expect.stringContaining(`layer ${missing.digest}`) } });
    await mirror.settle();
    expect(mirror.upstream.log.filter((l) => l.method === "GET" && l.path.endsWith(present.digest))).toEqual([]);
  });

  test("refuses a foreign layer with a 4xx JSON error and never fetches its URL", async ({ mirror }) => {
    const foreign = randomBlob(2000);
    const url = `${mirror.upstream.url}/foreign/${foreign.hex}.tar.gz`;
    const response = await download(mirror, pushImage(mirror, [{ blob: randomBlob(3000) }, { blob: foreign, urls: [url] }]));
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ error: { code: "FOREIGN_LAYER", message: expect.stringContaining(foreign.digest) } });
    await mirror.settle();
    expect(mirror.upstream.log.map((l) => l.path)).not.toContainEqual(expect.stringContaining("/foreign/"));
  });

  test.for([
    ["os", { os: "linux\r\nx-injected: 1" }],
    ["architecture", { architecture: "amd64\r\nx-injected: 1" }],
    ["variant", { architecture: "arm", variant: "v7\nx" }],
  ] as const)("refuses a config whose %s holds CR/LF as 502 BAD_MANIFEST", async ([field, config], { mirror }) => {
    const response = await download(mirror, pushImage(mirror, [{ blob: randomBlob(1000) }], config));
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: { code: "BAD_MANIFEST", message: expect.stringContaining(`config's ${field}`) } });
  });
});
