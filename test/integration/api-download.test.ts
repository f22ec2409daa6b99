// /api/download through the real Worker: curl saves the streamed tar (exact
// Content-Length, a sensible file name) and podman loads it into a private store; bad
// requests get a JSON error and no tar.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ApiErrorBody } from "../../shared/seed-api.ts";
import { buildImage, noise } from "../harness/image-builder.ts";
import { fixtureImage, harness, worker } from "../harness/injected.ts";
import { corruptBlob } from "../harness/registry-files.ts";
import { pushOwnImage } from "../harness/push-own.ts";
import { expectApiError, getJson, postJson } from "./api-helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "dockerdl-api-download-"));

const stores: string[] = [];

afterAll(() => {
  for (const d of [dir, ...stores]) rmSync(d, { recursive: true, force: true });
});

/** curl -o, returning the response headers. */
function curlDownload(url: string, file: string, data?: string): Record<string, string> {
  const args = ["-sS", "-D", "-", "-o", file, url];
  if (data !== undefined) args.push("-H", "content-type: application/json", "--data", data);
  const raw = execFileSync("curl", args, { encoding: "utf8" });
  const headers: Record<string, string> = {};
  for (const line of raw.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

function podmanLoad(file: string): string {
  // podman refuses a runroot longer than 50 characters: keep the store's path short.
  const store = mkdtempSync(join(tmpdir(), "ddp-"));
  stores.push(store);
  const args = ["--root", join(store, "root"), "--runroot", join(store, "run"), "--storage-driver", "vfs", "--tmpdir", join(store, "tmp"), "--events-backend", "none"];
  execFileSync("mkdir", ["-p", join(store, "tmp")]);
  const out = execFileSync("podman", [...args, "load", "-i", file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const images = execFileSync("podman", [...args, "images", "--format", "{{.Repository}}:{{.Tag}}"], { encoding: "utf8" });
  return out + images;
}

describe("/api/download", () => {
  it("streams a multi-platform image's chosen platform as a tar that podman loads (GET, curl -o)", async () => {
    const file = join(dir, "multi.tar");
    const headers = curlDownload(`${worker}/api/download?image=test/multi:v1&platform=linux/arm64`, file);
    expect(headers["content-type"]).toBe("application/x-tar");
    expect(Number(headers["content-length"])).toBe(statSync(file).size);
    expect(headers["content-disposition"]).toBe('attachment; filename="test_multi_v1_linux_arm64_v8.tar"');
    expect(headers["x-image-digest"]).toBe(fixtureImage("test/multi").platforms["linux/arm64/v8"]);
    expect(podmanLoad(file)).toContain("test/multi:v1");
  });

  it("streams a single-platform image from another registry (POST /api/download-stream)", async () => {
    const file = join(dir, "single.tar");
    const headers = curlDownload(`${worker}/api/download-stream`, file, JSON.stringify({ image: "auth.test/test/single:v1" }));
    expect(Number(headers["content-length"])).toBe(statSync(file).size);
    expect(headers["content-disposition"]).toContain("auth.test_test_single_v1_linux_amd64.tar");
    expect(podmanLoad(file)).toContain("auth.test/test/single:v1");
  });

  it("answers JSON errors, never a tar, for a missing or absent platform and bad references", async () => {
    await expectApiError(getJson(`${worker}/api/download?image=test/multi:v1`), 400, "PLATFORM_REQUIRED", "multi-platform");
    const missing = await getJson<ApiErrorBody>(`${worker}/api/download?image=test/multi:v1&platform=linux/ppc64le`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("PLATFORM_NOT_AVAILABLE");
    expect(missing.body.error.hint).toContain("linux/arm/v7");
    await expectApiError(postJson(`${worker}/api/download`, { image: "test/multi:v1", platform: "linux" }), 400, "BAD_PLATFORM");
    await expectApiError(postJson(`${worker}/api/download`, { image: "UPPER/case" }), 400, "BAD_REFERENCE");
    const notFound = await getJson<ApiErrorBody>(`${worker}/api/download?image=test/nothing:v1`);
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get("content-type")).toContain("application/json");
  });

  it("puts several images in one tar (POST {images}): one entry per image, every image loads in podman", async () => {
    const file = join(dir, "bundle.tar");
    const body = { images: ["test/single:v1", { image: "test/multi:v1", platform: "linux/arm64" }, "auth.test/test/list:v1", "test/single:v1", "docker.io/test/single:v1"], platform: "linux/amd64" };
    const headers = curlDownload(`${worker}/api/download`, file, JSON.stringify(body));
    expect(Number(headers["content-length"])).toBe(statSync(file).size);
    expect(headers["content-disposition"]).toBe('attachment; filename="bundle.tar"');
    expect(headers["x-image-count"]).toBe("3"); // the repeated entries (one written in full) are one image
    const index = JSON.parse(execFileSync("tar", ["-xOf", file, "index.json"], { encoding: "utf8" })) as { manifests: { digest: string }[] };
    expect(index.manifests.map((m) => m.digest)).toEqual([
      fixtureImage("test/single").digest, fixtureImage("test/multi").platforms["linux/arm64/v8"], fixtureImage("test/list").platforms["linux/amd64"],
    ]);
    const loaded = podmanLoad(file);
    // Full names in manifest.json's RepoTags: podman names them as docker does, as it names each of them alone.
    for (const name of ["docker.io/test/single:v1", "docker.io/test/multi:v1", "auth.test/test/list:v1"]) expect(loaded).toContain(name);
    expect(loaded).not.toContain("localhost/");
  });

  it("refuses two platforms of one tag with a 400 naming both entries, before any byte", async () => {
    const both = { images: [{ image: "test/multi:v1", platform: "linux/amd64" }, "test/single:v1", { image: "test/multi:v1", platform: "linux/arm64" }] };
    const refused = await expectApiError(postJson(`${worker}/api/download`, both), 400, "BAD_IMAGE_LIST",
      "images[0] (linux/amd64) and images[2] (linux/arm64/v8) are two images with one name, docker.io/test/multi:v1");
    expect(refused.error.key).toBe("BAD_IMAGE_LIST.same_tag");
    expect(refused.error.hint).toBe("keep one platform of it in this bundle, or make one bundle per platform");
  });

  it("refuses a bad image list with a 400 that says what is wrong, before any byte", async () => {
    const url = `${worker}/api/download`;
    await expectApiError(postJson(url, { images: "test/single:v1" }), 400, "BAD_REQUEST", '"images" must be a list');
    await expectApiError(postJson(url, { images: [] }), 400, "BAD_REQUEST", '"images" is empty');
    await expectApiError(postJson(url, { images: Array.from({ length: 11 }, (_, i) => `test/single:v${i}`) }), 400, "BAD_REQUEST", "at most 10");
    await expectApiError(postJson(url, { images: [42] }), 400, "BAD_REQUEST", "images[0] must be an image reference");
    await expectApiError(postJson(url, { images: [{ image: "test/single:v1", tag: "x" }] }), 400, "BAD_REQUEST", 'images[0] has unknown field "tag"');
    await expectApiError(postJson(url, { image: "test/single:v1", images: ["test/single:v1"] }), 400, "BAD_REQUEST", "not both");
    await expectApiError(postJson(url, { images: ["test/single:v1", "UPPER/case"] }), 400, "BAD_REFERENCE");
    await expectApiError(postJson(url, { images: ["test/single:v1", { image: "test/single:v1", platform: "linux" }] }), 400, "BAD_PLATFORM");
    await expectApiError(postJson(url, { images: ["test/single:v1", "test/multi:v1"] }), 400, "PLATFORM_REQUIRED", "multi-platform");
  });

  it("cuts the transfer short, never completing the tar, when an upstream layer is corrupt", async () => {
    const repository = "apitest/corrupt";
    const image = buildImage({ layers: [[{ path: "big.bin", content: noise("api-corrupt", 3 * 1024 * 1024) }]] });
    await pushOwnImage(repository, image, "v1");
    corruptBlob(harness.workDir, "token", image.layers[0].digest);

    const file = join(dir, "corrupt.tar");
    // curl's exit 18: the body ended before Content-Length.
    expect(() => curlDownload(`${worker}/api/download?image=${repository}:v1`, file)).toThrow(expect.objectContaining({ status: 18 }));
    // What arrived stops inside the layer: manifest.json, which comes after the blobs, is absent.
    const listing = spawnSync("tar", ["-tf", file], { encoding: "utf8" });
    expect(listing.status).not.toBe(0);
    expect(listing.stdout).toContain("blobs/sha256/");
    expect(listing.stdout).not.toContain("manifest.json");
  });
});
