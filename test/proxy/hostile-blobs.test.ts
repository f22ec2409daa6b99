// Blobs from a hostile upstream (hostile.ts): a ranged read is relayed only when the
// answer is the range asked for, a redirect to some other service's page never reaches
// the client, and a transport-compressed blob is refused with a clear error (the mirror
// asks for identity) instead of arriving as 0 bytes. A whole blob sent chunked, without
// Content-Length, is held to the size a HEAD states: served and cached when its bytes are
// the blob, never passed on whole when they are more.
import { describe, expect } from "vitest";
import { errorFromResponse } from "../../shared/registry/errors.ts";
import { blobKey, pullToken, randomBlob, readAll, v2Path } from "./blobs.ts";
import { TEXT_PAGE } from "./hostile.ts";
import { test, type MirrorUnderTest } from "./mirror.ts";
import type { Misbehaviour } from "./hostile.ts";

/** An uncached blob of a public repository that answers with `kind`, and a token for it. */
async function hostileBlob(mirror: MirrorUnderTest, repository: string, kind: Misbehaviour) {
  const blob = randomBlob(50_000);
  mirror.upstream.addRepository(repository, { private: false });
  mirror.upstream.addBlob(repository, blob.digest, blob.bytes);
  mirror.upstream.misbehave(repository, blob.digest, kind);
  const authorization = `Bearer ${await pullToken(mirror, repository)}`;
  return { blob, path: v2Path(repository, `blobs/${blob.digest}`), authorization };
}

async function expectRegistryError(response: Response, status: number) {
  const body = await response.text();
  expect(response.status).toBe(status);
  expect(body).not.toContain(TEXT_PAGE.trim());
  expect(JSON.parse(body)).toMatchObject({ errors: [{ code: expect.stringMatching(/^(BLOB_UNKNOWN|UNKNOWN)$/) }] });
}

describe("a ranged read of an uncached blob", () => {
  test("redirected to a plain-text page is a 502 registry error, and the page never reaches the client", async ({ mirror }) => {
    const { path, authorization } = await hostileBlob(mirror, "hostile/redirect", "redirect-to-text-page");
    const response = await mirror.fetch(path, { headers: { authorization, range: "bytes=0-99" } });
    await expectRegistryError(response, 502);
    await mirror.settle();
  });

  test("answered with another range than asked is a 502 registry error", async ({ mirror }) => {
    const { path, authorization } = await hostileBlob(mirror, "hostile/wrong-range", "wrong-range");
    const response = await mirror.fetch(path, { headers: { authorization, range: "bytes=100-199" } });
    await expectRegistryError(response, 502);
    await mirror.settle();
  });
});

test("the CLI reads such a 502 as a mirror that could not reach or read its upstream, in the mirror's words, not as a missing blob", async ({ mirror }) => {
  const { blob, path, authorization } = await hostileBlob(mirror, "hostile/cli-words", "redirect-to-text-page");
  const response = await mirror.fetch(path, { headers: { authorization, range: "bytes=0-99" } });
  expect(response.status).toBe(502);
  const error = await errorFromResponse(response, `layer ${blob.digest}`, "mirror.example");
  expect(error).toMatchObject({ code: "UPSTREAM", key: "UPSTREAM.gateway" });
  expect(error.message).toMatch(new RegExp(`^mirror\\.example could not reach or read the registry behind it for layer ${blob.digest} \\(502\\): .+`));
  expect(error.message).not.toMatch(/not found/i);
  await mirror.settle();
});

describe("a blob upstream sends gzip-encoded for transport", () => {
  test("is asked for with Accept-Encoding: identity and refused with a clear 502, never relayed as 0 bytes", async ({ mirror }) => {
    const { blob, path, authorization } = await hostileBlob(mirror, "hostile/gzip", "gzip-encoded");
    const start = mirror.upstream.log.length;
    const response = await mirror.fetch(path, { headers: { authorization } });
    const read = await readAll(response);
    if (response.status === 200) {
      expect(read.bytes).toEqual(blob.bytes);
    } else {
      expect(response.status).toBe(502);
      expect(new TextDecoder().decode(read.bytes!)).toMatch(/Content-Encoding/i);
    }
    const blobGets = mirror.upstream.log.slice(start).filter((r) => r.method === "GET" && r.path.endsWith(blob.digest));
    expect(blobGets.map((r) => r.acceptEncoding)).toEqual(blobGets.map(() => "identity"));
    await mirror.settle();
  });
});

describe("a whole blob sent chunked, without Content-Length", () => {
  test("is served verified and cached, its size taken from a HEAD", async ({ mirror }) => {
    const { blob, path, authorization } = await hostileBlob(mirror, "hostile/chunked", "chunked");
    const response = await mirror.fetch(path, { headers: { authorization } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(blob.bytes.byteLength));
    expect((await readAll(response)).bytes).toEqual(blob.bytes);
    await mirror.settle();
    expect((await mirror.bucket.head(blobKey(blob)))?.size).toBe(blob.bytes.byteLength);
  });

  test("with more bytes than the HEAD stated never reaches the client whole, nor the cache", async ({ mirror }) => {
    const { blob, path, authorization } = await hostileBlob(mirror, "hostile/chunked-padded", "chunked-padded");
    const response = await mirror.fetch(path, { headers: { authorization } });
    const read = await readAll(response);
    expect(response.status === 200 && read.bytes !== null).toBe(false);
    await mirror.settle();
    expect(await mirror.bucket.head(blobKey(blob))).toBeNull();
  });
});
