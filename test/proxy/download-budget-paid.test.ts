// /api/download held to a Workers Paid account's own subrequest limit (PLAN=paid,
// SUBREQUEST_LIMIT, here lowered to 20 so a small image crosses it): an image within it
// is served, one beyond it refused before the first byte, the refusal naming the limit
// and how to raise it. The fake registry answers blob GETs itself; the budget still
// counts one redirect per blob, as Docker Hub's.
import { describe, expect } from "vitest";
import { pushImage as pushTestImage, randomBlob, readAll, type TestBlob } from "./blobs.ts";
import { testWith, type MirrorUnderTest } from "./mirror.ts";

const test = testWith({ PLAN: "paid", SUBREQUEST_LIMIT: "20" });

let images = 0;

const pushImage = (mirror: MirrorUnderTest, layers: TestBlob[]) => pushTestImage(mirror.upstream, `acme/paid-${++images}`, layers);

const download = (mirror: MirrorUnderTest, image: string) => mirror.fetch(`/api/download?${new URLSearchParams({ image })}`);

describe("/api/download with PLAN=paid and SUBREQUEST_LIMIT=20", () => {
  test("serves an image within the account's limit", async ({ mirror }) => {
    // 5 to resolve it, 3 a layer from the one pool (its R2 lookup, the GET, a redirect), 2 token renewals and 3 for a resume: 19.
    const response = await download(mirror, pushImage(mirror, [randomBlob(1000), randomBlob(2000), randomBlob(3000)]));
    expect(response.status).toBe(200);
    const tar = (await readAll(response)).bytes;
    expect(tar?.byteLength).toBe(Number(response.headers.get("content-length")));
  });

  test("refuses one beyond it before the first byte, naming the limit and how to raise it", async ({ mirror }) => {
    // 5 + 5 × 2 + 2 token renewals + 3 for a resume = 20 to the registry, and 5 R2 lookups: 25.
    const response = await download(mirror, pushImage(mirror, Array.from({ length: 5 }, () => randomBlob(1000))));
    expect(response.status).toBe(422);
    const { error } = (await response.json()) as { error: { code: string; message: string; hint: string } };
    expect(error).toMatchObject({ code: "TOO_MANY_SUBREQUESTS" });
    expect(error.message).toContain("needs 25 subrequests");
    expect(error.message).toContain("(SUBREQUEST_LIMIT 20) allows 20 per request");
    expect(error.hint).toMatch(/raises limits\.subrequests in wrangler\.toml and sets SUBREQUEST_LIMIT/);
  });
});
