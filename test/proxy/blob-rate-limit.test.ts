// Blob requests are rate-limited per client (issue #26 point 5) with a limit of their own,
// BLOB_RATE_LIMIT a minute (unset: ten times RATE_LIMIT), far above what a pull needs: an
// ordinary pull of a 20-layer image under the default limits is never refused.
import { describe, expect } from "vitest";
import { pullToken, pushImage, randomBlob, readAll, v2Path } from "./blobs.ts";
import { testWith } from "./mirror.ts";

const limited = testWith({ RATE_LIMIT: "5", BLOB_RATE_LIMIT: "8" });
// An empty var is an unset one: RATE_LIMIT's default, and BLOB_RATE_LIMIT's from it.
const defaults = testWith({ RATE_LIMIT: "" });

describe("past BLOB_RATE_LIMIT", () => {
  limited("a client's blob requests are refused with 429 TOOMANYREQUESTS and Retry-After", async ({ mirror }) => {
    mirror.upstream.addRepository("team/blob-limit", { private: false });
    const blob = randomBlob(100);
    mirror.upstream.addBlob("team/blob-limit", blob.digest, blob.bytes);
    const authorization = `Bearer ${await pullToken(mirror, "team/blob-limit")}`;
    const statuses: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 10; i++) {
      const response = await mirror.fetch(v2Path("team/blob-limit", `blobs/${blob.digest}`), { method: "HEAD", headers: { authorization } });
      statuses.push(response.status);
      if (response.status === 429) refused ??= response;
    }
    expect(statuses).toEqual([...Array<number>(8).fill(200), 429, 429]);
    expect(Number(refused?.headers.get("retry-after"))).toBeGreaterThan(0);
    const get = await mirror.fetch(v2Path("team/blob-limit", `blobs/${blob.digest}`), { headers: { authorization } });
    expect(get.status).toBe(429);
    expect(await get.json()).toMatchObject({ errors: [{ code: "TOOMANYREQUESTS", message: expect.stringMatching(/8 blob requests a minute/) }] });
  });
});

describe("under the default limits", () => {
  defaults("a pull of a 20-layer image (a HEAD and a GET of every blob) is never refused", async ({ mirror }) => {
    const layers = Array.from({ length: 20 }, () => randomBlob(2000));
    pushImage(mirror.upstream, "team/twenty", layers);
    const authorization = `Bearer ${await pullToken(mirror, "team/twenty")}`;
    const manifest = await mirror.fetch(v2Path("team/twenty", "manifests/1"), { headers: { authorization } });
    expect(manifest.status).toBe(200);
    const { config } = (await manifest.json()) as { config: { digest: string } };
    for (const digest of [config.digest, ...layers.map((layer) => layer.digest)]) {
      const head = await mirror.fetch(v2Path("team/twenty", `blobs/${digest}`), { method: "HEAD", headers: { authorization } });
      expect(head.status).toBe(200);
      const get = await mirror.fetch(v2Path("team/twenty", `blobs/${digest}`), { headers: { authorization } });
      expect(get.status).toBe(200);
      expect((await readAll(get)).error).toBeUndefined();
    }
    await mirror.settle();
  });
});
