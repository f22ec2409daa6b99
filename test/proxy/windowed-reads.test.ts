// How the Worker reads a cached blob out of R2 (proxy/cache/windowed-read.ts): a blob
// larger than the read window, here one R2 holds in parts (multipart, above a lowered
// single-put limit), is read as ranged reads of at most the window, in order, and
// served byte for byte: whole from /v2/, as a client's large range, and as a layer of
// /api/download. The local R2 buffers a whole multipart object read in one `get`, so a
// whole read of a 10 GiB layer would hold 10 GiB; the reads the test Worker records
// (runtime/entry.ts) prove none is asked for more than the window.
import { describe, expect } from "vitest";
import { blobKey, pullToken, pushImage, randomBlob, readAll, v2Path, type TestBlob } from "./blobs.ts";
import { testWith, UPSTREAM_KEY, type MirrorUnderTest } from "./mirror.ts";
import { R2_READS_PATH, type R2Read } from "./runtime/settle-path.ts";

const MIB = 1024 * 1024;
const WINDOW = 2 * MIB;
// Stored in 5 MiB parts (R2's least), so a window straddles the parts' boundary; the last
// window is short. A multipart fill hashes the blob, which only the Paid plan's CPU allows.
const test = testWith({ R2_SINGLE_PUT_LIMIT: String(5 * MIB), FILL_PART_SIZE: String(5 * MIB), PLAN: "paid", R2_READ_WINDOW: String(WINDOW) });
const SIZE = 7 * MIB + 12_345;
const REPOSITORY = "team/windowed";

/** The R2 reads of `blob` since the last call. */
async function readsOf(mirror: MirrorUnderTest, blob: TestBlob): Promise<R2Read["range"][]> {
  const reads = (await (await mirror.fetch(R2_READS_PATH)).json()) as R2Read[];
  return reads.filter((read) => read.key === blobKey(blob)).map((read) => read.range);
}

let big: Promise<TestBlob> | undefined;

/** One blob of SIZE bytes, cached once per file (filling it is most of what these tests cost). */
function bigBlob(mirror: MirrorUnderTest): Promise<TestBlob> {
  big ??= (async () => {
    const blob = randomBlob(SIZE);
    await cached(mirror, REPOSITORY, blob);
    return blob;
  })();
  return big;
}

/** `blob` in the fake upstream as the one layer of `repository`:1, then in R2 through a full GET by the mirror. */
async function cached(mirror: MirrorUnderTest, repository: string, blob: TestBlob): Promise<void> {
  pushImage(mirror.upstream, repository, [blob]);
  const authorization = `Bearer ${await pullToken(mirror, repository)}`;
  expect((await readAll(await mirror.fetch(v2Path(repository, `blobs/${blob.digest}`), { headers: { authorization } }))).bytes).toEqual(blob.bytes);
  await mirror.settle();
  await readsOf(mirror, blob);
}

describe("a cached blob larger than the read window, stored in parts", () => {
  test("is served whole from R2 as ranged reads of at most the window, in order, byte for byte", async ({ mirror }) => {
    const blob = await bigBlob(mirror);
    // Multipart: R2 holds no sha256 of the whole object.
    expect((await mirror.bucket.head(blobKey(blob)))?.checksums.sha256).toBeUndefined();
    const asked = mirror.upstream.log.length;
    const response = await mirror.fetch(v2Path(REPOSITORY, `blobs/${blob.digest}`));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(SIZE));
    expect((await readAll(response)).bytes).toEqual(blob.bytes);
    expect(await readsOf(mirror, blob)).toEqual([
      { offset: 0, length: WINDOW },
      { offset: WINDOW, length: WINDOW },
      { offset: 2 * WINDOW, length: WINDOW },
      { offset: 3 * WINDOW, length: MIB + 12_345 },
    ]);
    expect(mirror.upstream.log.slice(asked)).toEqual([]);
  });

  test("serves a client's range larger than the window in windows too", async ({ mirror }) => {
    const blob = await bigBlob(mirror);
    const [first, last] = [1000, 5 * MIB];
    const response = await mirror.fetch(v2Path(REPOSITORY, `blobs/${blob.digest}`), { headers: { range: `bytes=${first}-${last}` } });
    expect(response.status).toBe(206);
    expect((await readAll(response)).bytes).toEqual(blob.bytes.subarray(first, last + 1));
    expect(await readsOf(mirror, blob)).toEqual([
      { offset: first, length: WINDOW },
      { offset: first + WINDOW, length: WINDOW },
      { offset: first + 2 * WINDOW, length: last + 1 - first - 2 * WINDOW },
    ]);
  });

  test("is read in windows as a layer of /api/download, and the tar is whole", async ({ mirror }) => {
    const blob = await bigBlob(mirror);
    const asked = mirror.upstream.log.length;
    const response = await mirror.fetch(`/api/download?${new URLSearchParams({ image: `${UPSTREAM_KEY}/${REPOSITORY}:1` })}`);
    expect(response.status).toBe(200);
    // The Worker checks the layer against its digest as it streams: a tar of the stated length is a verified one.
    const tar = (await readAll(response)).bytes;
    expect(tar?.byteLength).toBe(Number(response.headers.get("content-length")));
    expect(await readsOf(mirror, blob)).toHaveLength(4);
    expect(mirror.upstream.log.slice(asked).filter((r) => r.method === "GET" && r.path.endsWith(blob.digest))).toEqual([]);
  });
});

test("a cached blob within the window is one whole read, as before", async ({ mirror }) => {
  const blob = randomBlob(300_000);
  await cached(mirror, "team/small", blob);
  const response = await mirror.fetch(v2Path("team/small", `blobs/${blob.digest}`));
  expect((await readAll(response)).bytes).toEqual(blob.bytes);
  expect(await readsOf(mirror, blob)).toEqual([null]);
});
