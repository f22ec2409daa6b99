// /api/image-details through the real Worker: Docker Hub images from the fake Hub
// (description, counts, tags with per-platform sizes and digests that match the images
// in the harness registry), and images on another registry from the registry itself.
import { describe, expect, it } from "vitest";
import { fixtureImage, harness, worker } from "../harness/injected.ts";
import type { ImageDetails } from "../../shared/seed-api.ts";
import { expectApiError, getJson, hubRequests, postJson } from "./api-helpers.ts";


/** Layer bytes of one platform manifest, read from the registry through the Worker. */
async function layerBytes(repository: string, digest: string): Promise<number> {
  const tokenResponse = await getJson<{ token: string }>(`${worker}/token?service=docker.io&scope=repository:${repository}:pull`);
  const response = await fetch(`${worker}/v2/${repository}/manifests/${digest}`, {
    headers: { authorization: `Bearer ${tokenResponse.body.token}`, accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" },
  });
  const manifest = (await response.json()) as { layers: { size: number }[] };
  return manifest.layers.reduce((sum, l) => sum + l.size, 0);
}

/** The tag is test/multi:v1: its three platforms (attestations dropped), each with its digest and layer size in the registry. */
async function expectMultiV1(tag: ImageDetails["tag"]): Promise<void> {
  const multi = fixtureImage("test/multi");
  expect(tag?.digest).toBe(multi.digest);
  const platforms = tag!.platforms!;
  expect(platforms.map((p) => p.platform).sort()).toEqual(["linux/amd64", "linux/arm/v7", "linux/arm64/v8"]);
  for (const p of platforms) {
    expect(p.digest).toBe(multi.platforms[p.platform]);
    expect(p.size).toBe(await layerBytes("test/multi", p.digest!));
  }
}

describe("/api/image-details for Docker Hub images", () => {
  it("gives description, counts and the tags with platforms, sizes and digests of the real images", async () => {
    const { status, body } = await postJson<ImageDetails>(`${worker}/api/image-details`, { image: "test/multi:v1" });
    expect(status).toBe(200);
    expect(body).toMatchObject({ image: "docker.io/test/multi:v1", registry: "docker.io", repository: "test/multi", name: "test/multi", source: "hub", official: false });
    expect(body.description).toContain("Fixture image test/multi");
    expect(body.fullDescription).toContain("# test/multi");
    expect(typeof body.stars).toBe("number");
    expect(typeof body.pulls).toBe("number");
    expect(body.lastUpdated).toMatch(/^2026-/);
    expect(body.tag?.name).toBe("v1");
    await expectMultiV1(body.tag);
  });

  it("takes the GET form and official images by their short name", async () => {
    const hello = fixtureImage("library/hello");
    const { status, body } = await getJson<ImageDetails>(`${worker}/api/image-details?image=hello`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ image: "docker.io/library/hello:latest", name: "hello", official: true });
    expect(body.tag?.digest).toBe(hello.digest);
    expect(body.tag?.platforms).toEqual([expect.objectContaining({ platform: "linux/amd64", digest: hello.digest })]);
  });

  it("pages the tags and still finds the tag the reference names when it is on a later page", async () => {
    const { body } = await getJson<ImageDetails>(`${worker}/api/image-details?image=ubuntu:22.04-39&limit=10`);
    expect(body.tags).toHaveLength(10);
    expect(body.tagCount).toBe(47);
    expect(body.hasMoreTags).toBe(true);
    expect(body.tag?.name).toBe("22.04-39");
    expect(body.tag?.platforms?.map((p) => p.platform)).toEqual(["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]);
    const page5 = await getJson<ImageDetails>(`${worker}/api/image-details?image=ubuntu&limit=10&page=5`);
    expect(page5.body.tags).toHaveLength(7);
    expect(page5.body.hasMoreTags).toBe(false);
  });

  it("answers tag: null for a tag that does not exist, and 404 for a repository that does not", async () => {
    const { status, body } = await getJson<ImageDetails>(`${worker}/api/image-details?image=nginx:no-such-tag`);
    expect(status).toBe(200);
    expect(body.tag).toBeNull();
    await expectApiError(getJson(`${worker}/api/image-details?image=nobody/nothing`), 404, "NOT_FOUND", "nobody/nothing");
  });

  it("caches details: a repeat within the lifetime does not reach Hub", async () => {
    const before = (await hubRequests(harness.hubApi, "/v2/repositories/library/alpine/")).length;
    const first = await getJson<ImageDetails>(`${worker}/api/image-details?image=alpine:3.20`);
    const second = await postJson<ImageDetails>(`${worker}/api/image-details`, { image: "docker.io/library/alpine:3.20" });
    expect(first.headers.get("x-cache")).toBe("MISS");
    expect(second.headers.get("x-cache")).toBe("HIT");
    expect(second.body).toEqual(first.body);
    const after = (await hubRequests(harness.hubApi, "/v2/repositories/library/alpine/")).length;
    expect(after - before).toBe(1);
  });
});

describe("/api/image-details for images on other registries", () => {
  it("lists tags from the registry and gives platforms, sizes and digests of the named tag (token auth)", async () => {
    const { status, body } = await postJson<ImageDetails>(`${worker}/api/image-details`, { image: "auth.test/test/multi:v1" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ image: "auth.test/test/multi:v1", registry: "auth.test", name: "auth.test/test/multi", source: "registry", description: null, stars: null });
    expect(body.tags.map((t) => t.name)).toEqual(["v1"]);
    await expectMultiV1(body.tag);
  });

  it("reads a single-platform image's platform from its config", async () => {
    const single = fixtureImage("test/single");
    const { body } = await getJson<ImageDetails>(`${worker}/api/image-details?image=auth.test/test/single:v1`);
    expect(body.tag?.platforms).toEqual([expect.objectContaining({ platform: "linux/amd64", digest: single.digest })]);
    expect(body.tag?.platforms?.[0].size).toBe(await layerBytes("test/single", single.digest));
  });

  it("answers 404 for a repository the registry does not have, 401 for one it will not show anonymously", async () => {
    await expectApiError(getJson(`${worker}/api/image-details?image=auth.test/nobody/nothing:v1`), 404, "NOT_FOUND");
    await expectApiError(getJson(`${worker}/api/image-details?image=auth.test/private/secret:v1`), 401, "UNAUTHORIZED", "anonymously");
    await expectApiError(getJson(`${worker}/api/image-details?image=basic.test/team/tool:v1`), 401, "UNAUTHORIZED");
  });
});
