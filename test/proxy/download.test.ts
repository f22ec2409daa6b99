// /api/download in the Workers runtime against the fake upstream: a whole image streams
// as a tar, and everything that would break it mid-way is a JSON error before the first
// byte: a layer the upstream lacks, a foreign layer (whose URLs the Worker never
// fetches), a config whose platform fields hold CR/LF.
import { describe, expect } from "vitest";
import { pushImage as pushTestImage, randomBlob, type ImageLayer } from "./blobs.ts";
import { test, type MirrorUnderTest } from "./mirror.ts";

let images = 0;

/** A single-platform image pushed to the fake upstream; its reference for /api/download. */
const pushImage = (mirror: MirrorUnderTest, layers: ImageLayer[], config?: Record<string, unknown>) => pushTestImage(mirror.upstream, `acme/download-${++images}`, layers, config);

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
