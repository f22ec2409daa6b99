// Bundles: several images in one tar (`dockerdl pull A B C`, `-f compose.yaml`,
// `-f images.txt`), proven by podman loading every image and skopeo copying each one by
// name out of the docker archive; a layer two images share is stored once; a bundle
// killed part way resumes to the same bytes as one written in one go.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { test } from "../harness/fixtures-vitest.ts";
import { buildImage, noise, type FileSpec } from "../harness/image-builder.ts";
import { fixtureImage, harness, worker } from "../harness/injected.ts";
import { podmanLoad, skopeoToOci, tarList } from "../harness/podman.ts";
import { pushOwnImage } from "../harness/push-own.ts";
import { startRelay, type Relay } from "../harness/relay.ts";
import { hostOf, runCli, startCli, tarJson, type DockerManifestEntry, type OciIndex } from "./cli-helpers.ts";

const registry = hostOf(harness.registry);
const multi = fixtureImage("test/multi");

// Two images whose first layer is the same blob (a shared base), pushed once per file.
const base: FileSpec[] = [{ path: "base.bin", content: noise("bundle-base", 256 * 1024) }];
const first = buildImage({ layers: [base, [{ path: "first.txt", content: "first\n" }]] });
const second = buildImage({ oci: true, layers: [base, [{ path: "second.txt", content: "second\n" }]] });
const shared = first.layers[0].digest;

let slow: Relay;
beforeAll(async () => {
  await pushOwnImage("bundle/first", first, "v1");
  await pushOwnImage("bundle/second", second, "v1");
  slow = await startRelay(harness.registry);
});
afterAll(() => slow.stop());

function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** podman lists every image, and skopeo copies each by its name (checking diff_ids). */
async function expectEveryImageLoads(file: string, names: string[]): Promise<void> {
  const loaded = await podmanLoad(file);
  expect(loaded.images.map((i) => i.name).sort()).toEqual([...names].sort());
  for (const name of names) await skopeoToOci(`${file}:${name}`);
}

describe("dockerdl pull: bundles of several images in one file", { timeout: 90_000 }, () => {
  test("several references: one tar, every image in manifest.json and index.json, a shared layer stored once", async ({ tempDir }) => {
    const output = join(tempDir, "three.tar");
    const names = [`${registry}/bundle/first:v1`, `${registry}/bundle/second:v1`, `${registry}/test/multi:v1`];
    const result = await runCli(["pull", ...names, "-o", output], { cwd: tempDir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("3 images");

    const manifest = tarJson<DockerManifestEntry[]>(output, "manifest.json");
    expect(manifest.map((m) => m.RepoTags)).toEqual(names.map((n) => [n]));
    const index = tarJson<OciIndex>(output, "index.json");
    expect(index.manifests.map((m) => m.annotations?.["io.containerd.image.name"])).toEqual(names);
    expect(index.manifests.map((m) => m.annotations?.["org.opencontainers.image.ref.name"])).toEqual(["v1", "v1", "v1"]);
    expect(index.manifests.map((m) => m.digest)).toEqual([first.manifest.digest, second.manifest.digest, multi.platforms[process.arch === "arm64" ? "linux/arm64/v8" : "linux/amd64"]]);
    expect(manifest[0].Layers[0]).toBe(manifest[1].Layers[0]);
    expect((await tarList(output)).filter((l) => l.endsWith(shared.slice(7)))).toHaveLength(1);
    await expectEveryImageLoads(output, names);
  });

  test("-f compose.yaml (each service's platform, anchors, ${VAR:-default}) with -f images.txt, into a folder", async ({ tempDir }) => {
    const dir = join(tempDir, "compose");
    mkdirSync(dir);
    writeFileSync(join(dir, "compose.yaml"), [
      "x-arm: &arm",
      "  platform: linux/arm/v7",
      "services:",
      "  web:",
      "    <<: *arm",
      `    image: "\${REGISTRY}/test/multi:\${MULTI_TAG:-v1}"`,
      "  db:",
      `    image: ${registry}/bundle/first:v1`,
      "  app:",
      "    build: .",
      "",
    ].join("\n"));
    writeFileSync(join(dir, ".env"), `REGISTRY=${registry}\n`);
    writeFileSync(join(dir, "images.txt"), `# what the stack also needs\n\n${registry}/bundle/second:v1   # shares a layer with first\n${registry}/bundle/first:v1\n`);
    const out = join(dir, "out");
    mkdirSync(out);
    const result = await runCli(["pull", "-f", join(dir, "compose.yaml"), "-f", join(dir, "images.txt"), "-o", out], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(`dockerdl: ${join(dir, "compose.yaml")}: skipping app (built from source, no image: to download)\n`);
    const output = join(out, "bundle.tar"); // compose.tar with the compose file alone
    expect(existsSync(output)).toBe(true);
    const index = tarJson<OciIndex>(output, "index.json");
    expect(index.manifests.map((m) => m.digest)).toEqual([multi.platforms["linux/arm/v7"], first.manifest.digest, second.manifest.digest]);
    await expectEveryImageLoads(output, [`${registry}/test/multi:v1`, `${registry}/bundle/first:v1`, `${registry}/bundle/second:v1`]);
  });

  test("a bundle killed part way resumes to exactly the bytes of one written in one go", async ({ tempDir }) => {
    const names = [`${hostOf(slow.url)}/bundle/first:v1`, `${hostOf(slow.url)}/bundle/second:v1`, `${hostOf(slow.url)}/test/many:v1`];
    const whole = join(tempDir, "whole.tar");
    slow.shaping = {};
    expect((await runCli(["pull", ...names, "-o", whole], { cwd: tempDir })).code).toBe(0);

    const output = join(tempDir, "resumed.tar");
    slow.shaping = { perConnection: 30_000 };
    const killed = startCli(["pull", ...names, "-o", output, "--connections", "2"], { cwd: tempDir });
    await expect.poll(() => verifiedBlobs(`${output}.part.json`), { timeout: 30_000 }).toBeGreaterThan(0);
    killed.child.kill("SIGKILL");
    await killed.done;
    slow.shaping = {};
    const resumed = await runCli(["pull", ...names, "-o", output], { cwd: tempDir });
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/3 images, .* resumed/);
    expect(sha256(output)).toBe(sha256(whole));
    await expectEveryImageLoads(output, names);
  });

  test("through a mirror, an image alone and in a bundle loads under one name, the full one docker gives it", async ({ tempDir }) => {
    const alone = join(tempDir, "alone.tar");
    const both = join(tempDir, "both.tar");
    expect((await runCli(["pull", "test/single:v1", "--proxy", worker, "-o", alone], { cwd: tempDir })).code).toBe(0);
    expect((await runCli(["pull", "test/single:v1", "bundle/first:v1", "--proxy", worker, "-o", both], { cwd: tempDir })).code).toBe(0);
    expect(tarJson<DockerManifestEntry[]>(both, "manifest.json").map((m) => m.RepoTags)).toEqual([["docker.io/test/single:v1"], ["docker.io/bundle/first:v1"]]);
    // Alone, podman names it from index.json; in a bundle, from manifest.json's RepoTags.
    expect((await podmanLoad(alone)).images.map((i) => i.name)).toEqual(["docker.io/test/single:v1"]);
    expect((await podmanLoad(both)).images.map((i) => i.name).sort()).toEqual(["docker.io/bundle/first:v1", "docker.io/test/single:v1"]);
  });

  test("two platforms of one tag are refused before anything is written, naming both services; the same image twice is stored once", async ({ tempDir }) => {
    const compose = join(tempDir, "compose.yaml");
    writeFileSync(compose, [
      "services:",
      "  amd:",
      `    image: ${registry}/test/multi:v1`,
      "    platform: linux/amd64",
      "  arm:",
      `    image: ${registry}/test/multi:v1`,
      "    platform: linux/arm/v7",
      "",
    ].join("\n"));
    const output = join(tempDir, "multi.tar");
    const refused = await runCli(["pull", "-f", compose, "-o", output], { cwd: tempDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`dockerdl: error: ${compose}, service amd (linux/amd64) and ${compose}, service arm (linux/arm/v7) are two images with one name, `
      + `${registry}/test/multi:v1: docker load and podman load keep the name for one of them only\n`
      + "  hint: keep one platform of it in this bundle, or make one bundle per platform\n");
    expect(existsSync(output)).toBe(false);
    expect(existsSync(`${output}.part`)).toBe(false);

    // Written two ways, one image: one entry, as docker save writes an image given twice.
    const twice = await runCli(["pull", `${registry}/bundle/first:v1`, `${registry}/bundle/first:v1@${first.manifest.digest}`, "-o", output], { cwd: tempDir });
    expect(twice.code).toBe(0);
    expect(tarJson<DockerManifestEntry[]>(output, "manifest.json").map((m) => m.RepoTags)).toEqual([[`${registry}/bundle/first:v1`]]);
  });

  test("a bad line in an image list names the file and line; --tag refuses several images", async ({ tempDir }) => {
    const list = join(tempDir, "bad.txt");
    writeFileSync(list, `${registry}/bundle/first:v1\nUpper/Case:v1\n`);
    const bad = await runCli(["pull", "-f", list, "-o", join(tempDir, "bad.tar")], { cwd: tempDir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^dockerdl: error: .*bad\.txt line 2: "Upper\/Case" is not valid: repository names must be lowercase\n/);
    const tagged = await runCli(["pull", `${registry}/bundle/first:v1`, `${registry}/bundle/second:v1`, "--tag", "x:1"], { cwd: tempDir });
    expect(tagged.code).toBe(2);
    expect(tagged.stderr).toMatch(/--tag names one image/);
  });
});

function verifiedBlobs(stateFile: string): number {
  try {
    const state = JSON.parse(readFileSync(stateFile, "utf8")) as { engine: { blobs: Record<string, { verified: boolean }> } };
    return Object.values(state.engine.blobs).filter((b) => b.verified).length;
  } catch {
    return 0;
  }
}
