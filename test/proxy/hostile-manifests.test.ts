// Manifests from a hostile upstream (hostile.ts): served only with a manifest media type
// (never the upstream's text/html), an HTML page in place of a manifest refused and never
// cached, a 64 MiB manifest without Content-Length refused without being read whole, and a
// manifest cached by digest served only under repositories that reference it.
import { describe, expect } from "vitest";
import { OCI_MANIFEST } from "../../shared/media-types.ts";
import { digestOf, manifestFor, manifestKey, pullToken, randomBlob, v2Path } from "./blobs.ts";
import { endless, ENDLESS_BYTES, HTML_PAGE, type Misbehaviour } from "./hostile.ts";
import { test, type MirrorUnderTest } from "./mirror.ts";

/** A public repository whose manifest tagged `tag` answers with `kind`; a token for it. */
async function hostileManifest(mirror: MirrorUnderTest, repository: string, tag: string, kind: Misbehaviour) {
  const manifest = manifestFor(randomBlob(100));
  mirror.upstream.addRepository(repository, { private: false });
  mirror.upstream.addManifest(repository, tag, manifest);
  mirror.upstream.misbehave(repository, tag, kind);
  mirror.upstream.misbehave(repository, manifest.digest, kind);
  const authorization = `Bearer ${await pullToken(mirror, repository)}`;
  return { manifest, authorization };
}

describe("a manifest upstream serves as text/html", () => {
  test("is served and cached with the media type its body declares", async ({ mirror }) => {
    const { manifest, authorization } = await hostileManifest(mirror, "hostile/html-type", "v1", "html-content-type");
    const response = await mirror.fetch(v2Path("hostile/html-type", "manifests/v1"), { headers: { authorization } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(OCI_MANIFEST);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(manifest.bytes);
    await mirror.settle();
    const cached = await mirror.fetch(v2Path("hostile/html-type", `manifests/${manifest.digest}`), { headers: { authorization } });
    expect(cached.headers.get("content-type")).toBe(OCI_MANIFEST);
    await cached.body?.cancel();
  });

  test("is refused with 502 MANIFEST_INVALID when it is an HTML page, and never cached", async ({ mirror }) => {
    const { authorization } = await hostileManifest(mirror, "hostile/html-page", "v1", "html-page");
    const page = digestOf(new TextEncoder().encode(HTML_PAGE));
    mirror.upstream.misbehave("hostile/html-page", page.digest, "html-page");
    for (const reference of ["v1", page.digest]) {
      const response = await mirror.fetch(v2Path("hostile/html-page", `manifests/${reference}`), { headers: { authorization } });
      expect(response.status).toBe(502);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await response.json()).toMatchObject({ errors: [{ code: "MANIFEST_INVALID" }] });
    }
    await mirror.settle();
    expect(await mirror.bucket.head(manifestKey(page))).toBeNull();
  });
});

test("an HTML error page upstream is relayed as a spec-shaped JSON error, never as HTML", async ({ mirror }) => {
  const { manifest, authorization } = await hostileManifest(mirror, "hostile/html-404", "v1", "html-not-found");
  const response = await mirror.fetch(v2Path("hostile/html-404", `manifests/${manifest.digest}`), { headers: { authorization } });
  expect(response.status).toBe(404);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(await response.json()).toMatchObject({ errors: [{ code: "MANIFEST_UNKNOWN" }] });
});

test("a 64 MiB manifest without Content-Length is refused without being read whole", async ({ mirror }) => {
  const { authorization } = await hostileManifest(mirror, "hostile/endless", "v1", "endless-body");
  endless.sent = 0;
  const response = await mirror.fetch(v2Path("hostile/endless", "manifests/v1"), { headers: { authorization } });
  expect(response.status).toBe(502);
  expect(await response.json()).toMatchObject({ errors: [{ code: "MANIFEST_INVALID", message: expect.stringMatching(/4194304/) }] });
  await mirror.settle();
  // The read stops at 4 MiB; what the sockets buffer on the way is the rest.
  expect(endless.sent).toBeLessThan(ENDLESS_BYTES / 2);
});

describe("a manifest cached by digest", () => {
  test("is not served under a repository that never referenced it", async ({ mirror }) => {
    const manifest = manifestFor(randomBlob(100));
    mirror.upstream.addRepository("team/holder", { private: false });
    mirror.upstream.addManifest("team/holder", null, manifest);
    mirror.upstream.addRepository("team/stranger", { private: false });
    const first = await mirror.fetch(v2Path("team/holder", `manifests/${manifest.digest}`), { headers: { authorization: `Bearer ${await pullToken(mirror, "team/holder")}` } });
    expect(first.status).toBe(200);
    await first.body?.cancel();
    await mirror.settle();
    expect(await mirror.bucket.head(manifestKey(manifest))).not.toBeNull();

    const stranger = `Bearer ${await pullToken(mirror, "team/stranger")}`;
    const start = mirror.upstream.log.length;
    const elsewhere = await mirror.fetch(v2Path("team/stranger", `manifests/${manifest.digest}`), { headers: { authorization: stranger } });
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toMatchObject({ errors: [{ code: "MANIFEST_UNKNOWN" }] });
    expect(mirror.upstream.log.slice(start).map((r) => `${r.method} ${r.path}`)).toContain(`GET /v2/team/stranger/manifests/${manifest.digest}`);

    mirror.upstream.addManifest("team/stranger", null, manifest);
    const referenced = await mirror.fetch(v2Path("team/stranger", `manifests/${manifest.digest}`), { headers: { authorization: stranger } });
    expect(referenced.status).toBe(200);
    await referenced.body?.cancel();
  });
});
