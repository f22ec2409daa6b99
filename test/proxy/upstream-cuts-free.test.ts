// Upstream cuts on the Free plan (issue #25): /api/download reads every upstream layer in
// JavaScript anyway (it hashes it), so a layer the upstream cuts part way is resumed on
// either plan and curl still gets the whole tar. (Blob GETs of /v2/ larger than 1 MiB keep
// the native pipe on this plan: upstream-cuts.test.ts plays them on Paid.) As there, a cut
// reaches the Worker here as a body that stands still for UPSTREAM_IDLE_TIMEOUT.
import { describe, expect } from "vitest";
import { blobsIn, pushImage, randomBlob, readAll, type TestBlob } from "./blobs.ts";
import type { Logged } from "./fake-registry.ts";
import { testWith, type MirrorUnderTest } from "./mirror.ts";

const test = testWith({ UPSTREAM_IDLE_TIMEOUT: "2" });
const SIZE = 4_000_000;

/** The GETs of `blob` the upstream answered since `since`, in order. */
function blobGets(mirror: MirrorUnderTest, blob: TestBlob, since: number): Logged[] {
  return mirror.upstream.log.slice(since).filter((l) => l.method === "GET" && l.path.endsWith(`/blobs/${blob.digest}`));
}

describe("/api/download of an image whose layer is cut part way", () => {
  test("gives the whole tar, every layer matching its digest", async ({ mirror }) => {
    const layers = [randomBlob(3000), randomBlob(SIZE)];
    const repository = "cuts/download-free";
    const reference = pushImage(mirror.upstream, repository, layers);
    mirror.upstream.misbehave(repository, layers[1].digest, "cut-once");
    const since = mirror.upstream.log.length;
    const started = performance.now();
    const response = await mirror.fetch(`/api/download?${new URLSearchParams({ image: reference })}`);
    expect(response.status).toBe(200);
    const read = await readAll(response);
    expect(read.error).toBeUndefined();
    const tar = read.bytes!;
    expect(tar.byteLength).toBe(Number(response.headers.get("content-length")));
    const files = await blobsIn(tar);
    for (const layer of layers) expect(files.get(layer.digest), `layer ${layer.digest}`).toEqual(layer.bytes);
    const gets = blobGets(mirror, layers[1], since);
    expect(gets.map((l) => l.range)).toEqual([null, expect.stringMatching(/^bytes=\d+-3999999$/)]);
    const extra = gets.reduce((sum, l) => sum + l.bytes, 0) - SIZE;
    console.info(`/api/download, a layer cut once: ${gets.length} upstream GETs, ${extra} bytes beyond the ${SIZE} needed, ${(performance.now() - started).toFixed(0)} ms`);
    await mirror.settle();
  });
});
