// The inspection commands against the harness registry, direct and through the Worker:
// tags (following the registry's pages), digest, manifest (the served bytes, which hash
// to the digest) and config (the image's config blob), with --platform and credentials.
import { createHash } from "node:crypto";
import { beforeAll, describe, expect } from "vitest";
import { test } from "../harness/fixtures-vitest.ts";
import { buildImage } from "../harness/image-builder.ts";
import { fixtureImage, harness, worker } from "../harness/injected.ts";
import { pushOwnImage } from "../harness/push-own.ts";
import { hostOf, runCli } from "./cli-helpers.ts";

const registry = hostOf(harness.registry);
const multi = fixtureImage("test/multi");
const user = harness.user;

// More tags than one page holds (100), so listing them takes the registry's Link pages.
const pagedTags = Array.from({ length: 130 }, (_, i) => `t${String(i).padStart(3, "0")}`);
const paged = buildImage({ layers: [[{ path: "paged.txt", content: "paged\n" }]] });
beforeAll(async () => {
  await pushOwnImage("inspect/paged", paged, pagedTags[0], pagedTags.slice(1));
});

function sha256(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex")}`;
}

async function ok(args: string[], stdin?: string): Promise<string> {
  const result = await runCli(args, { cwd: harness.workDir, ...(stdin === undefined ? {} : { stdin }) });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return result.stdout;
}

describe("dockerdl tags, digest, manifest, config", { timeout: 60_000 }, () => {
  test("tags lists every tag across the registry's pages, one per line", async () => {
    // In the registry's order; 130 from pages of at most 100 proves the pages were followed.
    const lines = (out: string) => out.split("\n").slice(0, -1).sort();
    expect(lines(await ok(["tags", `${registry}/inspect/paged`]))).toEqual(pagedTags);
    expect(lines(await ok(["tags", "auth.test/inspect/paged", "--proxy", worker]))).toEqual(pagedTags);
  });

  test("tags of a private repository with credentials; refused without", async () => {
    expect(await ok(["tags", `${registry}/private/secret`, "--username", user.username, "--password-stdin"], user.password)).toBe("v1\n");
    const refused = await runCli(["tags", `${registry}/private/secret`], { cwd: harness.workDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^dockerdl: error: .*refused access/);
  });

  test("digest: the index's digest, or with --platform that platform's manifest digest", async () => {
    expect(await ok(["digest", `${registry}/test/multi:v1`])).toBe(`${multi.digest}\n`);
    expect(await ok(["digest", `${registry}/test/multi:v1`, "--platform", "arm64"])).toBe(`${multi.platforms["linux/arm64/v8"]}\n`);
    expect(await ok(["digest", "test/multi:v1", "--platform", "linux/arm/v7", "--proxy", worker])).toBe(`${multi.platforms["linux/arm/v7"]}\n`);
  });

  test("manifest prints the bytes as served: they hash to the digest", async () => {
    const index = await ok(["manifest", `${registry}/test/multi:v1`]);
    expect(sha256(index)).toBe(multi.digest);
    expect((JSON.parse(index) as { manifests: unknown[] }).manifests.length).toBeGreaterThan(3); // attestations included, as served
    const arm = await ok(["manifest", "test/multi:v1", "--platform", "linux/arm/v7", "--proxy", worker]);
    expect(sha256(arm)).toBe(multi.platforms["linux/arm/v7"]);
  });

  test("config prints the platform's image config, which hashes to the manifest's config digest", async () => {
    const manifest = JSON.parse(await ok(["manifest", `${registry}/test/multi:v1`, "--platform", "arm64"])) as { config: { digest: string } };
    const config = await ok(["config", `${registry}/test/multi:v1`, "--platform", "arm64"]);
    expect(sha256(config)).toBe(manifest.config.digest);
    expect(JSON.parse(config)).toMatchObject({ os: "linux", architecture: "arm64" });
  });

  test("usage mistakes are refused with exit status 2", async () => {
    const cases = [
      { args: ["digest", `${registry}/test/multi:v1`, "-o", "x.tar"], message: /--output is an option of pull, not of digest/ },
      { args: ["tags"], message: /tags takes a repository/ },
      { args: ["config", "a:1", "b:1"], message: /config takes an image reference/ },
      { args: ["tags", "nginx", "--platform", "arm64"], message: /--platform does not apply/ },
    ];
    for (const c of cases) {
      const result = await runCli(c.args, { cwd: harness.workDir });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(c.message);
    }
  });
});
