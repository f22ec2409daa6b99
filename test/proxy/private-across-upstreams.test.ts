// A private object in the cache is vouched for only by the upstream repository it came
// from (issue #26): after a user pulls a private image through the mirror, a repository
// that claims to hold every digest (hostile.ts answerLiar) gets none of its bytes, on a
// second upstream or on the same one, by blob digest, by manifest digest or by a tag that
// names the private manifest. A public object is content-addressed and public: it is
// served from the cache under any repository that names it.
import { describe, expect } from "vitest";
import { addPrivateImage, basicAuth, blobKey, manifestKey, pullToken, randomBlob, readAll, v2Path, type TestBlob } from "./blobs.ts";
import { USER } from "./fake-registry.ts";
import { LIAR_BYTES } from "./hostile.ts";
import { OTHER_KEY, test, UPSTREAM_KEY, type MirrorUnderTest } from "./mirror.ts";

const PRIVATE = "team/private";
const LIAR = "liar/x";

/** A private image upstream, pulled through the mirror by its user until both objects are cached. */
async function pulledPrivateImage(mirror: MirrorUnderTest) {
  const { layer, manifest } = addPrivateImage(mirror, PRIVATE, "v1");
  const headers = { authorization: `Bearer ${await pullToken(mirror, PRIVATE, basicAuth(USER))}` };
  for (const path of ["manifests/v1", `blobs/${layer.digest}`]) {
    const response = await mirror.fetch(v2Path(PRIVATE, path), { headers });
    expect(response.status, path).toBe(200);
    await response.arrayBuffer();
  }
  await mirror.settle();
  for (const key of [manifestKey(manifest), blobKey(layer)]) {
    await expect.poll(async () => (await mirror.bucket.head(key))?.customMetadata?.visibility, { timeout: 10_000 }).toBe("private");
  }
  return { layer, manifest };
}

/** What a client of `key`/LIAR reads for `path`: the status, and whether the bytes were `object`'s. */
async function readThrough(mirror: MirrorUnderTest, key: string, path: string, object: TestBlob) {
  const response = await mirror.fetch(`/v2/${key}/${LIAR}/${path}`);
  const { bytes } = await readAll(response);
  const text = bytes ? new TextDecoder().decode(bytes) : "";
  return { status: response.status, privateBytes: bytes !== null && Buffer.from(bytes).equals(Buffer.from(object.bytes)), lie: text === LIAR_BYTES };
}

describe("a private object cached from one upstream repository", () => {
  test.for([OTHER_KEY, UPSTREAM_KEY])("is not served to a client of %s/liar/x, which claims every digest", async (key, { mirror }) => {
    const { layer, manifest } = await pulledPrivateImage(mirror);
    mirror.upstream.lie(LIAR, { latest: manifest.digest });
    const asked = [
      ["blob by digest", `blobs/${layer.digest}`, layer],
      ["manifest by digest", `manifests/${manifest.digest}`, manifest],
      ["manifest by a tag naming it", "manifests/latest", manifest],
    ] as const;
    for (const [what, path, object] of asked) {
      const answer = await readThrough(mirror, key, path, object);
      expect.soft(answer.privateBytes, what).toBe(false);
      // The liar's own bytes fail the digest: the client gets an error, not a substitute.
      expect.soft(answer.lie, what).toBe(false);
      expect.soft(answer.status, what).not.toBe(200);
    }
    // The owner still reads both from the cache, vouched for by the repository they came from.
    const headers = { authorization: `Bearer ${await pullToken(mirror, PRIVATE, basicAuth(USER))}` };
    const owned = await mirror.fetch(v2Path(PRIVATE, `manifests/${manifest.digest}`), { headers });
    expect(owned.status).toBe(200);
    expect((await readAll(owned)).bytes).toEqual(manifest.bytes);
    await mirror.settle();
  });
});

test("a public blob cached from one upstream is served from the cache under another upstream's repository", async ({ mirror }) => {
  const layer = randomBlob(5_000);
  mirror.upstream.addRepository("team/public", { private: false });
  mirror.upstream.addBlob("team/public", layer.digest, layer.bytes);
  const first = await mirror.fetch(v2Path("team/public", `blobs/${layer.digest}`), { headers: { authorization: `Bearer ${await pullToken(mirror, "team/public")}` } });
  expect(first.status).toBe(200);
  await first.arrayBuffer();
  await mirror.settle();
  await expect.poll(async () => (await mirror.bucket.head(blobKey(layer)))?.customMetadata?.visibility, { timeout: 10_000 }).toBe("public");
  mirror.upstream.lie("liar/public");
  const start = mirror.upstream.log.length;
  const elsewhere = await mirror.fetch(`/v2/${OTHER_KEY}/liar/public/blobs/${layer.digest}`);
  expect(elsewhere.status).toBe(200);
  expect((await readAll(elsewhere)).bytes).toEqual(layer.bytes);
  expect(mirror.upstream.log.slice(start)).toEqual([]);
});
