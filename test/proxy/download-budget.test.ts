// /api/download within Cloudflare's subrequest budget (issue 23, point 4), against a
// Docker-Hub-like upstream whose blob GETs redirect once (redirecting-front.ts), counted
// where they arrive: every request through the front, hops included, and every token
// request to the registry's realm. On the Workers Free plan (the default PLAN) a request
// may make 50 subrequests to other hosts; a layer the mirror's cache holds as public
// takes none, so a 40-layer image of which 30 were pulled through the mirror before is
// served whole, and an image that would need more is refused before the first byte.
// A layer is checked with a HEAD only while the plan leaves room for one.
import { afterAll, describe, expect } from "vitest";
import { blobKey, blobsIn, pullToken, pushImage as pushTestImage, randomBlob, readAll, v2Path, type TestBlob } from "./blobs.ts";
import { testWith, UPSTREAM_KEY, type MirrorUnderTest } from "./mirror.ts";
import { CUT_AFTER } from "./hostile.ts";
import { logMarks, startRedirectingFront, subrequestsSince } from "./redirecting-front.ts";

const FREE_PLAN_EXTERNAL = 50;

const front = await startRedirectingFront();
afterAll(() => front.close());
// A cut reaches the Worker here as a body that stands still (upstream-cuts.test.ts): seen after 2 s.
const test = testWith({ UPSTREAMS: JSON.stringify({ [UPSTREAM_KEY]: front.url }), UPSTREAM_IDLE_TIMEOUT: "2" });

let images = 0;

/** An image of `layers` in a new public repository of the registry behind the front. */
function pushImage(mirror: MirrorUnderTest, layers: TestBlob[], missing: TestBlob[] = []): { repository: string; reference: string } {
  front.target = mirror.upstream.url;
  const repository = `acme/budget-${++images}`;
  const reference = pushTestImage(mirror.upstream, repository, layers.map((blob) => ({ blob, missing: missing.includes(blob) })));
  return { repository, reference };
}

/** Pulls `blobs` through the mirror's /v2/ as docker would, so its cache holds them as public. */
async function pullThrough(mirror: MirrorUnderTest, repository: string, blobs: TestBlob[]): Promise<void> {
  const authorization = `Bearer ${await pullToken(mirror, repository)}`;
  for (const blob of blobs) {
    const response = await mirror.fetch(v2Path(repository, `blobs/${blob.digest}`), { headers: { authorization } });
    expect(response.status).toBe(200);
    expect((await readAll(response)).bytes).toEqual(blob.bytes);
  }
  await mirror.settle();
  for (const blob of blobs) expect((await mirror.bucket.head(blobKey(blob)))?.customMetadata?.visibility).toBe("public");
}

const download = (mirror: MirrorUnderTest, image: string) => mirror.fetch(`/api/download?${new URLSearchParams({ image })}`);

describe("/api/download on the Workers Free plan", () => {
  test("serves a 40-layer image, 30 of its layers cached, in at most 50 subrequests, byte for byte", async ({ mirror }) => {
    const layers = Array.from({ length: 40 }, (_, i) => randomBlob(2000 + i * 97));
    const { repository, reference } = pushImage(mirror, layers);
    const [cached, cold] = [layers.slice(0, 30), layers.slice(30)];
    await pullThrough(mirror, repository, cached);

    const since = logMarks(front, mirror.upstream);
    const response = await download(mirror, reference);
    expect(response.status).toBe(200);
    const tar = (await readAll(response)).bytes!;
    expect(tar.byteLength).toBe(Number(response.headers.get("content-length")));
    const files = await blobsIn(tar);
    for (const layer of layers) expect(files.get(layer.digest), `layer ${layer.digest}`).toEqual(layer.bytes);
    await mirror.settle();

    const made = subrequestsSince(front, mirror.upstream, since);
    expect(made.length, made.map((r) => `${r.method} ${r.path}`).join("\n")).toBeLessThanOrEqual(FREE_PLAN_EXTERNAL);
    // A cached layer takes no upstream request at all; a cold one its GET and the redirect.
    const about = (blob: TestBlob) => made.filter((r) => r.path.endsWith(blob.digest));
    for (const layer of cached) expect(about(layer)).toEqual([]);
    for (const layer of cold) expect(about(layer).filter((r) => r.method === "GET")).toHaveLength(2);
  });

  test("checks no layer with a HEAD when the plan has no room left: one missing upstream ends the transfer short", async ({ mirror }) => {
    // 5 to resolve it, 2 for each of 20 layers (GET, redirect), 2 token renewals and 3
    // for a resume: 50, no room left for a HEAD (2 with its redirect).
    const layers = Array.from({ length: 20 }, () => randomBlob(1500));
    const { reference } = pushImage(mirror, layers, [layers[19]]);
    const since = logMarks(front, mirror.upstream);
    const response = await download(mirror, reference);
    expect(response.status).toBe(200);
    const { bytes, error } = await readAll(response);
    expect(bytes).toBeNull();
    expect(error).toBeDefined();
    await mirror.settle();
    const made = subrequestsSince(front, mirror.upstream, since);
    expect(made.filter((r) => r.method === "HEAD")).toEqual([]);
    expect(made.length).toBeLessThanOrEqual(FREE_PLAN_EXTERNAL);
  });

  test("an image planned to the plan's last subrequest has room to resume a layer the upstream cuts: the tar arrives whole", async ({ mirror }) => {
    // 5 + 20 × 2 + 2 renewals + 3 for a resume: 50. The last layer is cut part way.
    const layers = [...Array.from({ length: 19 }, () => randomBlob(1500)), randomBlob(CUT_AFTER + 500_000)];
    const { repository, reference } = pushImage(mirror, layers);
    mirror.upstream.misbehave(repository, layers[19].digest, "cut-once");
    const since = logMarks(front, mirror.upstream);
    const response = await download(mirror, reference);
    expect(response.status).toBe(200);
    const { bytes, error } = await readAll(response);
    expect(error).toBeUndefined();
    const files = await blobsIn(bytes!);
    for (const layer of layers) expect(files.get(layer.digest), `layer ${layer.digest}`).toEqual(layer.bytes);
    await mirror.settle();
    const made = subrequestsSince(front, mirror.upstream, since);
    // The cut layer was asked twice (the resume a ranged GET), within the plan.
    expect(made.filter((r) => r.method === "GET" && r.path.endsWith(layers[19].digest)).length).toBeGreaterThan(2);
    expect(made.length).toBeLessThanOrEqual(FREE_PLAN_EXTERNAL);
  });

  test("one more layer leaves no room for a resume: refused before the first byte, never cut off at the resume", async ({ mirror }) => {
    // 5 + 21 × 2 + 2 renewals: 49 fits without a resume, 52 with one. Without the reserve
    // it started, and the cut's resume was the 51st subrequest: the tar ended short.
    const layers = [...Array.from({ length: 20 }, () => randomBlob(1500)), randomBlob(CUT_AFTER + 500_000)];
    const { repository, reference } = pushImage(mirror, layers);
    mirror.upstream.misbehave(repository, layers[20].digest, "cut-once");
    const response = await download(mirror, reference);
    expect(response.status).toBe(422);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe("TOO_MANY_SUBREQUESTS");
    expect(error.message).toContain("needs 52 subrequests");
  });

  test("refuses an image beyond the plan's 50 subrequests before the first byte, naming the limit and what to do", async ({ mirror }) => {
    const layers = Array.from({ length: 30 }, () => randomBlob(1500));
    const { reference } = pushImage(mirror, layers);
    const since = logMarks(front, mirror.upstream);
    const response = await download(mirror, reference);
    expect(response.status).toBe(422);
    expect(response.headers.get("content-type")).toContain("application/json");
    const { error } = (await response.json()) as { error: { code: string; message: string; hint?: string } };
    expect(error.code).toBe("TOO_MANY_SUBREQUESTS");
    expect(error.message).toMatch(/Workers Free plan/);
    expect(error.message).toContain(`${FREE_PLAN_EXTERNAL} subrequests`);
    expect(error.hint).toMatch(/dockerdl pull/);
    expect(error.hint).toMatch(/PLAN=paid/);
    await mirror.settle();
    // Refused on what the manifest says: no layer was asked for.
    const made = subrequestsSince(front, mirror.upstream, since);
    for (const layer of layers) expect(made.filter((r) => r.path.endsWith(layer.digest))).toEqual([]);
  });
});
