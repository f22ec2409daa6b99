// A blob's fill belongs to its Durable Object (proxy/fill/blob-fill.ts), not to the request
// that found the blob uncached: a blob larger than one R2 put, read by clients only in
// ranges (what the CLI and the PWA send), is filled in parts, each a fresh ranged GET
// upstream, and lands in R2 whole and verified, though every client request ended long
// before; when every client leaves, the fill stops and aborts its multipart upload. The
// single-put limit and part size are lowered so a 17 MiB blob takes four parts. FILL_IDLE
// is long, so clients reading on never lose their fill however loaded the machine; the
// clients that leave are left for longer on the Worker's clock, which the test moves.
import { expect } from "vitest";
import { basicAuth, blobKey, digestOf, pullToken, randomBlob, readAll, v2Path, type TestBlob } from "./blobs.ts";
import { releaseStalled } from "./hostile.ts";
import { USER, USER_TOKEN } from "./fake-registry.ts";
import { testWith, type MirrorUnderTest } from "./mirror.ts";
import { UPLOADS_PATH, type UploadBegun } from "./runtime/settle-path.ts";

const MIB = 1024 * 1024;
const PART = 5 * MIB;
const FILL_IDLE_MS = 60_000;
const test = testWith({ PLAN: "paid", R2_SINGLE_PUT_LIMIT: String(PART), FILL_PART_SIZE: String(PART), FILL_IDLE: String(FILL_IDLE_MS / 1000) });
const SIZE = 17 * MIB + 4321;

async function uncached(mirror: MirrorUnderTest, repository: string): Promise<{ blob: TestBlob; authorization: string }> {
  mirror.upstream.addRepository(repository, { private: false });
  const blob = randomBlob(SIZE);
  mirror.upstream.addBlob(repository, blob.digest, blob.bytes);
  return { blob, authorization: `Bearer ${await pullToken(mirror, repository)}` };
}

async function readRange(mirror: MirrorUnderTest, repository: string, blob: TestBlob, authorization: string, start: number, length: number) {
  const end = Math.min(start + length, SIZE) - 1;
  const response = await mirror.fetch(v2Path(repository, `blobs/${blob.digest}`), { headers: { authorization, range: `bytes=${start}-${end}` } });
  expect(response.status).toBe(206);
  expect((await readAll(response)).bytes).toEqual(blob.bytes.subarray(start, end + 1));
}

async function uploadsBegun(mirror: MirrorUnderTest): Promise<UploadBegun[]> {
  return (await (await mirror.fetch(UPLOADS_PATH)).json()) as UploadBegun[];
}

test("a blob read only in ranges is filled in parts by its Durable Object and lands in R2 whole", async ({ mirror }) => {
  const repository = "team/ranged-only";
  const { blob, authorization } = await uncached(mirror, repository);
  const start = mirror.upstream.log.length;
  const asked = new Set<string>();
  for (let offset = 0; offset < SIZE; offset += 2 * MIB) {
    await readRange(mirror, repository, blob, authorization, offset, 2 * MIB);
    asked.add(`bytes=${offset}-${Math.min(offset + 2 * MIB, SIZE) - 1}`);
  }
  await mirror.settle();
  const object = await mirror.bucket.get(blobKey(blob));
  expect(object).not.toBeNull();
  expect(digestOf(new Uint8Array(await object!.arrayBuffer())).digest).toBe(blob.digest);
  expect(object!.customMetadata).toMatchObject({ visibility: "public" });
  const gets = mirror.upstream.log.slice(start).filter((r) => r.method === "GET" && r.path.endsWith(blob.digest));
  // Besides the clients' ranges: the fill's four parts, 5 MiB each but the last, and no whole read.
  expect(gets.map((r) => r.range).filter((range) => range === null || !asked.has(range))).toEqual([
    `bytes=0-${PART - 1}`,
    `bytes=${PART}-${2 * PART - 1}`,
    `bytes=${2 * PART}-${3 * PART - 1}`,
    `bytes=${3 * PART}-${SIZE - 1}`,
  ]);
});

test("a fill whose clients all left stops after FILL_IDLE and aborts its multipart upload", async ({ mirror }) => {
  const repository = "team/left";
  const { blob, authorization } = await uncached(mirror, repository);
  mirror.upstream.misbehave(repository, blob.digest, "stall-large-ranges");
  await uploadsBegun(mirror);
  await readRange(mirror, repository, blob, authorization, 0, 64 * 1024);
  // The fill begins its upload and its first part stalls upstream; no client asks again.
  const begun: UploadBegun[] = [];
  await expect.poll(async () => begun.push(...(await uploadsBegun(mirror)))).toBe(1);
  const upload = () => mirror.bucket.resumeMultipartUpload(begun[0].key, begun[0].uploadId);
  // While the fill runs, its upload takes parts (so the refusal below is the abort's doing).
  await expect(upload().uploadPart(10_000, new Uint8Array(16))).resolves.toBeDefined();
  await mirror.advanceClock(FILL_IDLE_MS + 1000);
  await mirror.settle();
  await expect(upload().uploadPart(10_000, new Uint8Array(16))).rejects.toThrow();
  releaseStalled();
  expect(await mirror.bucket.head(blobKey(blob))).toBeNull();
});

test("a fill reads with the credentials given for its own repository, never another's that names the same blob", async ({ mirror }) => {
  // One Durable Object per digest hears from every repository naming the blob: a private
  // repository's reader must not lend its credentials to the fill of a public one.
  const blob = randomBlob(SIZE);
  const [open, closed] = ["team/open", "team/closed"];
  mirror.upstream.addRepository(open, { private: false });
  mirror.upstream.addRepository(closed, { private: true });
  mirror.upstream.addBlob(open, blob.digest, blob.bytes);
  mirror.upstream.addBlob(closed, blob.digest, blob.bytes);
  // Each of the fill's parts waits upstream until released, so the private reader asks mid-fill.
  mirror.upstream.misbehave(open, blob.digest, "stall-large-ranges");
  const start = mirror.upstream.log.length;
  const toOpen = () => mirror.upstream.log.slice(start).filter((r) => r.path.startsWith(`/v2/${open}/`));
  const partsAsked = () => toOpen().filter((r) => r.range !== null && r.range !== "bytes=0-65535").length;
  await readRange(mirror, open, blob, `Bearer ${await pullToken(mirror, open)}`, 0, 64 * 1024);
  for (let part = 1; part <= Math.ceil(SIZE / PART); part++) {
    await expect.poll(partsAsked).toBe(part);
    if (part === 1) await readRange(mirror, closed, blob, `Bearer ${await pullToken(mirror, closed, basicAuth(USER))}`, 0, 64 * 1024);
    releaseStalled();
  }
  await mirror.settle();
  expect(await mirror.bucket.head(blobKey(blob))).not.toBeNull();
  expect(toOpen().filter((r) => r.authorization === `Bearer ${USER_TOKEN}`)).toEqual([]);
});
