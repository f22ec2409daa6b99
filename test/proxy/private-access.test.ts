// Private content in the cache, in the Workers runtime with real local R2: a blob or
// manifest cached as private is refused to a client the upstream would refuse, and is
// served from R2 once the requester's own credentials pass a HEAD upstream (no GET, so
// no bytes move from upstream).
import { describe, expect } from "vitest";
import { addPrivateImage, basicAuth, blobKey, manifestKey, pullToken, readAll, v2Path } from "./blobs.ts";
import { USER } from "./fake-registry.ts";
import { test, UPSTREAM_KEY, type MirrorUnderTest } from "./mirror.ts";

const REPOSITORY = "team/private";

/** A private repository upstream holding `layer` and its manifest, both already cached as private. */
async function privateImage(mirror: MirrorUnderTest) {
  const { layer, manifest } = addPrivateImage(mirror, REPOSITORY, null);
  // Where it came from, as the mirror records it (proxy/cache/keys.ts objectMetadata).
  const customMetadata = { visibility: "private", source: `${UPSTREAM_KEY}/${REPOSITORY}`, sourceKey: UPSTREAM_KEY, sourceUrl: new URL(mirror.upstream.url).href };
  await mirror.bucket.put(blobKey(layer), layer.bytes, { sha256: layer.hex, customMetadata });
  await mirror.bucket.put(manifestKey(manifest), manifest.bytes, { sha256: manifest.hex, customMetadata, httpMetadata: { contentType: manifest.mediaType } });
  return { layer, manifest };
}

describe("a private object in the cache", () => {
  test.for(["blob", "manifest"] as const)("(%s) is refused to anonymous clients and served after the requester's HEAD upstream", async (kind, { mirror }) => {
    const image = await privateImage(mirror);
    const object = kind === "blob" ? image.layer : image.manifest;
    const path = v2Path(REPOSITORY, `${kind}s/${object.digest}`);

    const bare = await mirror.fetch(path);
    expect(bare.status).toBe(401);
    expect(bare.headers.get("www-authenticate")).toMatch(new RegExp(`^Bearer realm="http://[^"]+/token",service="${UPSTREAM_KEY.replace(".", "\\.")}"`));
    expect(await bare.json()).toMatchObject({ errors: [{ code: "UNAUTHORIZED" }] });

    const anonymous = await mirror.fetch(path, { headers: { authorization: `Bearer ${await pullToken(mirror, REPOSITORY)}` } });
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();

    const authorization = `Bearer ${await pullToken(mirror, REPOSITORY, basicAuth(USER))}`;
    const start = mirror.upstream.log.length;
    const allowed = await mirror.fetch(path, { headers: { authorization } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("docker-content-digest")).toBe(object.digest);
    expect((await readAll(allowed)).bytes).toEqual(object.bytes);
    const asked = mirror.upstream.log.slice(start).filter((r) => r.path.endsWith(object.digest));
    expect(asked.map((r) => `${r.method} ${r.authorization}`)).toEqual([`HEAD ${authorization}`]);
  });
});
