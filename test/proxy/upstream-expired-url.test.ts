// A blob redirected to a signed storage URL that expires within seconds (quay.io's and
// gcr.io's 302s to object storage, S3's "Request has expired"): on a slow hop the URL is
// past its expiry when asked. The storage's refusal is not the client's answer: the mirror
// asks the registry once more for a fresh redirect, and the client gets the blob.
import { expect } from "vitest";
import { pullToken, randomBlob, readAll, v2Path } from "./blobs.ts";
import { EXPIRED_URL_PATH } from "./hostile.ts";
import { test } from "./mirror.ts";

for (const range of [undefined, "bytes=100-49999"]) {
  test(`a ${range ? "ranged" : "whole"} read whose first redirect expired is asked afresh and served`, async ({ mirror }) => {
    const repository = `signed/${range ? "ranged" : "whole"}`;
    const blob = randomBlob(50_000);
    mirror.upstream.addRepository(repository, { private: false });
    mirror.upstream.addBlob(repository, blob.digest, blob.bytes);
    mirror.upstream.misbehave(repository, blob.digest, "expired-url-once");
    const authorization = `Bearer ${await pullToken(mirror, repository)}`;
    const start = mirror.upstream.log.length;
    const response = await mirror.fetch(v2Path(repository, `blobs/${blob.digest}`), { headers: { authorization, ...(range ? { range } : {}) } });
    expect(response.status).toBe(range ? 206 : 200);
    expect((await readAll(response)).bytes).toEqual(range ? blob.bytes.subarray(100, 50_000) : blob.bytes);
    await mirror.settle();
    // Storage refused once; the redirect was asked for again (the fill may read the blob too).
    const asked = mirror.upstream.log.slice(start);
    expect(asked.filter((r) => r.path.startsWith(EXPIRED_URL_PATH))).toHaveLength(1);
    expect(asked.filter((r) => r.method === "GET" && r.path.endsWith(blob.digest)).length).toBeGreaterThanOrEqual(2);
  });
}
