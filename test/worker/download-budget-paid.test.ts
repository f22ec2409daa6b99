// /api/download held to a Workers Paid account's own subrequest limit (PLAN=paid,
// SUBREQUEST_LIMIT, here lowered to 20 so a small image crosses it): an image within it
// is served, one beyond it refused before the first byte, the refusal naming the limit
// and how to raise it. The fake registry answers blob GETs itself; the budget still
// counts one redirect per blob, as Docker Hub's.
import { describe, expect } from "vitest";
import { digestOf, randomBlob, readAll, type TestBlob } from "./blobs.ts";
import { testWith, UPSTREAM_KEY, type MirrorUnderTest } from "./mirror.ts";

const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const test = testWith({ PLAN: "paid", SUBREQUEST_LIMIT: "20" });

let images = 0;

function pushImage(mirror: MirrorUnderTest, layers: TestBlob[]): string {
  const repository = `acme/paid-${++images}`;
  mirror.upstream.addRepository(repository, { private: false });
  const config = digestOf(new TextEncoder().encode(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) } })));
  mirror.upstream.addBlob(repository, config.digest, config.bytes);
  for (const layer of layers) mirror.upstream.addBlob(repository, layer.digest, layer.bytes);
  const manifest = digestOf(new TextEncoder().encode(JSON.stringify({
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST,
    config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: config.digest, size: config.bytes.byteLength },
    layers: layers.map((l) => ({ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", digest: l.digest, size: l.bytes.byteLength })),
  })));
  mirror.upstream.addManifest(repository, "1", { ...manifest, mediaType: DOCKER_MANIFEST });
  return `${UPSTREAM_KEY}/${repository}:1`;
}

const download = (mirror: MirrorUnderTest, image: string) => mirror.fetch(`/api/download?${new URLSearchParams({ image })}`);

describe("/api/download with PLAN=paid and SUBREQUEST_LIMIT=20", () => {
  test("serves an image within the account's limit", async ({ mirror }) => {
    // 5 to resolve it, and 4 a layer from the one pool: its R2 lookup, the GET, a redirect, a token: 17.
    const response = await download(mirror, pushImage(mirror, [randomBlob(1000), randomBlob(2000), randomBlob(3000)]));
    expect(response.status).toBe(200);
    const tar = (await readAll(response)).bytes;
    expect(tar?.byteLength).toBe(Number(response.headers.get("content-length")));
  });

  test("refuses one beyond it before the first byte, naming the limit and how to raise it", async ({ mirror }) => {
    // 5 + 6 × 2 + 2 token renewals = 19 to the registry, and 6 R2 lookups: 25.
    const response = await download(mirror, pushImage(mirror, Array.from({ length: 6 }, () => randomBlob(1000))));
    expect(response.status).toBe(422);
    const { error } = (await response.json()) as { error: { code: string; message: string; hint: string } };
    expect(error).toMatchObject({ code: "TOO_MANY_SUBREQUESTS" });
    expect(error.message).toContain("needs 25 subrequests");
    expect(error.message).toContain("(SUBREQUEST_LIMIT 20) allows 20 per request");
    expect(error.hint).toMatch(/raises limits\.subrequests in wrangler\.toml and sets SUBREQUEST_LIMIT/);
  });
});
