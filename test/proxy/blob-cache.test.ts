// The blob cache, in the Workers runtime with real local R2: a cached blob (whole or a
// range) is served from R2 without a request upstream; a missing one is filled into R2
// on the way to the client (or in the background when it is read in ranges), checked
// against its digest; a corrupt upstream blob never lands in R2.
import { describe, expect } from "vitest";
import { basicAuth, blobKey, digestOf, pullToken, randomBlob, readAll, v2Path, type TestBlob } from "./blobs.ts";
import { USER } from "./fake-registry.ts";
import { test, type MirrorUnderTest } from "./mirror.ts";

async function seed(mirror: MirrorUnderTest, blob: TestBlob, visibility: "public" | "private"): Promise<void> {
  await mirror.bucket.put(blobKey(blob), blob.bytes, { sha256: blob.hex, customMetadata: { visibility, source: "seeded" } });
}

/** What the upstream was asked from now on. */
function upstreamRequests(mirror: MirrorUnderTest) {
  const start = mirror.upstream.log.length;
  return () => mirror.upstream.log.slice(start);
}

/** The stored object's bytes and metadata after the Worker's background work is done. */
async function stored(mirror: MirrorUnderTest, blob: TestBlob) {
  await mirror.settle();
  const object = await mirror.bucket.get(blobKey(blob));
  if (!object) return null;
  return { digest: digestOf(new Uint8Array(await object.arrayBuffer())).digest, metadata: { ...object.customMetadata } };
}

describe("a cached blob", () => {
  test("is served from R2 without a request upstream", async ({ mirror }) => {
    const blob = randomBlob(300_000);
    await seed(mirror, blob, "public");
    const asked = upstreamRequests(mirror);
    const response = await mirror.fetch(v2Path("team/cached", `blobs/${blob.digest}`));
    expect(response.status).toBe(200);
    expect(response.headers.get("docker-content-digest")).toBe(blob.digest);
    expect(response.headers.get("content-length")).toBe(String(blob.bytes.byteLength));
    expect((await readAll(response)).bytes).toEqual(blob.bytes);
    expect(asked()).toEqual([]);
  });

  test("is served in ranges from R2 with 206 and Content-Range, and 416 past its end", async ({ mirror }) => {
    const blob = randomBlob(10_000);
    await seed(mirror, blob, "public");
    const asked = upstreamRequests(mirror);
    const path = v2Path("team/cached", `blobs/${blob.digest}`);
    const middle = await mirror.fetch(path, { headers: { range: "bytes=1000-1999" } });
    expect(middle.status).toBe(206);
    expect(middle.headers.get("content-range")).toBe("bytes 1000-1999/10000");
    expect((await readAll(middle)).bytes).toEqual(blob.bytes.subarray(1000, 2000));
    const tail = await mirror.fetch(path, { headers: { range: "bytes=-100" } });
    expect(tail.headers.get("content-range")).toBe("bytes 9900-9999/10000");
    expect((await readAll(tail)).bytes).toEqual(blob.bytes.subarray(9900));
    const outside = await mirror.fetch(path, { headers: { range: "bytes=10000-" } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get("content-range")).toBe("bytes */10000");
    expect(await outside.json()).toMatchObject({ errors: [{ code: "RANGE_INVALID" }] });
    expect(asked()).toEqual([]);
  });
});

describe("a blob not in the cache", () => {
  test("is filled into R2 as it streams to the client, verified, then served from R2", async ({ mirror }) => {
    const blob = randomBlob(1_500_000);
    mirror.upstream.addRepository("team/fill", { private: false });
    mirror.upstream.addBlob("team/fill", blob.digest, blob.bytes);
    const authorization = `Bearer ${await pullToken(mirror, "team/fill")}`;
    const path = v2Path("team/fill", `blobs/${blob.digest}`);
    const first = await mirror.fetch(path, { headers: { authorization } });
    expect(first.status).toBe(200);
    expect((await readAll(first)).bytes).toEqual(blob.bytes);
    expect(await stored(mirror, blob)).toEqual({ digest: blob.digest, metadata: { visibility: "public", source: "registry.test/team/fill", sourceKey: "registry.test", sourceUrl: new URL(mirror.upstream.url).href } });
    const head = await mirror.bucket.head(blobKey(blob));
    expect(Buffer.from(head!.checksums.sha256!).toString("hex")).toBe(blob.hex);

    const asked = upstreamRequests(mirror);
    const again = await mirror.fetch(path);
    expect((await readAll(again)).bytes).toEqual(blob.bytes);
    expect(asked()).toEqual([]);
  });

  test("read in ranges, passes them through and fills R2 with one full fetch in the background", async ({ mirror }) => {
    const blob = randomBlob(400_000);
    mirror.upstream.addRepository("team/ranges", { private: false });
    mirror.upstream.addBlob("team/ranges", blob.digest, blob.bytes);
    const authorization = `Bearer ${await pullToken(mirror, "team/ranges")}`;
    const asked = upstreamRequests(mirror);
    const part = await mirror.fetch(v2Path("team/ranges", `blobs/${blob.digest}`), { headers: { authorization, range: "bytes=0-99999" } });
    expect(part.status).toBe(206);
    expect((await readAll(part)).bytes).toEqual(blob.bytes.subarray(0, 100_000));
    expect(await stored(mirror, blob)).toMatchObject({ digest: blob.digest });
    const gets = asked().filter((r) => r.method === "GET" && r.path.endsWith(blob.digest));
    // The client's range and the background fill's full GET run side by side.
    expect(gets).toHaveLength(2);
    expect(gets.map((r) => r.range)).toEqual(expect.arrayContaining(["bytes=0-99999", null]));
  });

  test("is stored as private when only the requester's credentials could read it", async ({ mirror }) => {
    const blob = randomBlob(50_000);
    mirror.upstream.addRepository("team/secret-fill", { private: true });
    mirror.upstream.addBlob("team/secret-fill", blob.digest, blob.bytes);
    const authorization = `Bearer ${await pullToken(mirror, "team/secret-fill", basicAuth(USER))}`;
    const response = await mirror.fetch(v2Path("team/secret-fill", `blobs/${blob.digest}`), { headers: { authorization } });
    expect((await readAll(response)).bytes).toEqual(blob.bytes);
    expect(await stored(mirror, blob)).toMatchObject({ digest: blob.digest, metadata: { visibility: "private" } });
  });

  test("never lands in R2 when upstream sends other bytes, and the client's transfer breaks", async ({ mirror }) => {
    const blob = randomBlob(600_000);
    const corrupt = blob.bytes.slice();
    corrupt[corrupt.length - 1] ^= 0xff;
    mirror.upstream.addRepository("team/corrupt", { private: false });
    mirror.upstream.addBlob("team/corrupt", blob.digest, corrupt);
    const authorization = `Bearer ${await pullToken(mirror, "team/corrupt")}`;
    const response = await mirror.fetch(v2Path("team/corrupt", `blobs/${blob.digest}`), { headers: { authorization } });
    const read = await readAll(response);
    expect(read.bytes === null || read.bytes.byteLength < blob.bytes.byteLength).toBe(true);
    expect(await stored(mirror, blob)).toBeNull();
  });
});
