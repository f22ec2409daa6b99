// Where `dockerdl pull` writes and what it names, against the harness registry: -o with
// an existing folder, -o - into `podman load`, --tag, --platform with an architecture
// alone and the host's platform by default, one writer per output file (a second run
// refuses; a killed run's lock is taken over), and ordinary file errors explained.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { test } from "../harness/fixtures-vitest.ts";
import { fixtureImage, harness } from "../harness/injected.ts";
import { podmanLoad, skopeoToOci } from "../harness/podman.ts";
import { startRelay, type Relay } from "../harness/relay.ts";
import { hostOf, runCli, startCli, tarJson, type DockerManifestEntry } from "./cli-helpers.ts";

const registry = hostOf(harness.registry);
const single = fixtureImage("test/single");
const multi = fixtureImage("test/multi");

/** A relay that slows the registry down, so a download is still running while a test looks. */
let slow: Relay;
beforeAll(async () => {
  slow = await startRelay(harness.registry);
});
afterAll(() => slow.stop());

function dirIn(tempDir: string, name: string): string {
  const dir = join(tempDir, name);
  mkdirSync(dir);
  return dir;
}

describe("dockerdl pull: where the tar goes and what it is named", () => {
  test("-o naming an existing folder writes the default name inside it; --tag names a pull by digest", async ({ tempDir }) => {
    const dir = dirIn(tempDir, "folder");
    const result = await runCli(["pull", `${registry}/test/single@${single.digest}`, "--tag", "mine/app:1.0", "-o", dir], { cwd: tempDir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(readdirSync(dir)).toEqual(["mine_app_1.0_linux_amd64.tar"]);
    const file = join(dir, "mine_app_1.0_linux_amd64.tar");
    expect(tarJson<DockerManifestEntry[]>(file, "manifest.json")[0].RepoTags).toEqual(["docker.io/mine/app:1.0"]);
    const loaded = await podmanLoad(file);
    expect(loaded.images.map((i) => i.name)).toEqual(["docker.io/mine/app:1.0"]);
  });

  test("-o - writes the tar to standard output, which podman load reads from a pipe; the summary goes to stderr", async ({ tempDir }) => {
    const { child, done } = startCli(["pull", `${registry}/test/multi:v1`, "--platform", "arm64", "-o", "-"], { cwd: tempDir });
    const loaded = await podmanLoad(child.stdout!);
    const result = await done;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(multi.platforms["linux/arm64/v8"]);
    expect(result.stderr).toContain("standard output");
    expect(loaded.images.map((i) => i.name)).toEqual([`${registry}/test/multi:v1`]);
    expect(readdirSync(tempDir).filter((f) => f.endsWith(".tar") || f.includes(".part"))).toEqual([]);
  });

  test("a missing -o folder is named, with how to create it", async ({ tempDir }) => {
    const missing = await runCli(["pull", `${registry}/test/single:v1`, "-o", "no/such/folder/"], { cwd: tempDir });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^dockerdl: error: the folder no\/such\/folder\/ does not exist\n {2}hint: create it/);
  });

  test("without --platform a multi-platform image is this machine's platform, and the output says so", async ({ tempDir }) => {
    const host = process.arch === "arm64" ? "linux/arm64/v8" : "linux/amd64";
    const shown = host === "linux/arm64/v8" ? "linux/arm64" : host;
    const result = await runCli(["pull", `${registry}/test/multi:v1`, "-o", join(tempDir, "host.tar")], { cwd: tempDir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(multi.platforms[host]);
    expect(result.stdout).toContain(`platform ${shown}: this machine's; choose another with --platform`);
    await skopeoToOci(join(tempDir, "host.tar"));
  });

  test("an architecture alone is a Linux platform; an OS alone is still refused", async ({ tempDir }) => {
    const arm = await runCli(["pull", `${registry}/test/multi:v1`, "--platform", "arm", "-o", join(tempDir, "arm.tar")], { cwd: tempDir });
    expect(arm.code).toBe(0);
    expect(arm.stdout).toContain(multi.platforms["linux/arm/v7"]);
    const os = await runCli(["pull", `${registry}/test/multi:v1`, "--platform", "linux", "-o", join(tempDir, "os.tar")], { cwd: tempDir });
    expect(os.code).toBe(1);
    expect(os.stderr).toMatch(/"linux" is not a valid platform/);
  });
});

describe("dockerdl pull: one writer per output file", { timeout: 60_000 }, () => {
  const args = (output: string) => ["pull", `${hostOf(slow.url)}/test/single:v1`, "-o", output];

  test("a second run writing the same file refuses at the start, and the first finishes untouched", async ({ tempDir }) => {
    const dir = dirIn(tempDir, "busy");
    const output = join(dir, "image.tar");
    // Slow enough (about 17 s for the 100 KB layer) that the first run is still writing
    // when the second one has started, even on a loaded machine.
    slow.shaping = { perConnection: 6_000 };
    const first = startCli(args(output), { cwd: tempDir });
    await expect.poll(() => existsSync(`${output}.part.lock`), { timeout: 20_000 }).toBe(true);
    const second = await runCli(args(output), { cwd: tempDir });
    expect(second.code).toBe(1);
    expect(second.stdout).toBe("");
    expect(second.stderr).toBe(`dockerdl: error: another dockerdl (PID ${first.child.pid}) is writing ${output} right now\n`
      + "  hint: wait for it to finish, or stop it and run this command again (it resumes), or choose another file with -o\n");
    const result = await first.done;
    expect(result.code).toBe(0);
    expect(readdirSync(dir)).toEqual(["image.tar"]); // no lock, part or state file left by either run
    expect((await podmanLoad(output)).images.map((i) => i.name)).toEqual([`${hostOf(slow.url)}/test/single:v1`]);
  });

  test("the lock of a killed run is taken over, and the download resumes", async ({ tempDir }) => {
    const dir = dirIn(tempDir, "stale");
    const output = join(dir, "image.tar");
    slow.shaping = { perConnection: 20_000 };
    const first = startCli(args(output), { cwd: tempDir });
    await expect.poll(() => existsSync(`${output}.part.json`), { timeout: 20_000 }).toBe(true);
    first.child.kill("SIGKILL");
    await first.done;
    slow.shaping = {};
    expect(readdirSync(dir).sort()).toEqual(["image.tar.part", "image.tar.part.json", "image.tar.part.lock"]);
    const second = await runCli(args(output), { cwd: tempDir });
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    expect(readdirSync(dir)).toEqual(["image.tar"]);
    await skopeoToOci(output);
  });
});

describe("dockerdl pull explains ordinary file errors", () => {
  const cases: { name: string; prepare?: (dir: string) => void; output: (dir: string) => string; message: RegExp; hint: RegExp }[] = [
    {
      name: "a folder where the part file goes (EISDIR)", prepare: (dir) => mkdirSync(join(dir, "image.tar.part")), output: (dir) => join(dir, "image.tar"),
      message: /image\.tar\.part is a folder, not a file$/, hint: /remove or rename that folder/,
    },
    { name: "a missing folder (ENOENT)", output: (dir) => join(dir, "absent", "image.tar"), message: /the folder .*absent does not exist$/, hint: /mkdir -p/ },
    {
      name: "a file where a folder should be (ENOTDIR)", prepare: (dir) => writeFileSync(join(dir, "plain"), ""), output: (dir) => join(dir, "plain", "image.tar"),
      message: /is a file, not a folder$/, hint: /-o/,
    },
    { name: "no permission (EACCES)", output: () => "/sys/dockerdl-image.tar", message: /you have no permission to write \/sys\/dockerdl-image\.tar$/, hint: /-o/ },
  ];
  cases.forEach((c, i) => {
    test(`${c.name}: what happened and what to do, no stack trace`, async ({ tempDir }) => {
      const dir = dirIn(tempDir, `error-${i}`);
      c.prepare?.(dir);
      const result = await runCli(["pull", `${registry}/test/single:v1`, "-o", c.output(dir)], { cwd: tempDir });
      expect(result.code).toBe(1);
      const lines = result.stderr.split("\n");
      expect(lines[0]).toMatch(/^dockerdl: error: /);
      expect(lines[0]).toMatch(c.message);
      expect(lines[1]).toMatch(c.hint);
      expect(result.stderr).not.toMatch(/bug|at .*\.ts:\d+/);
    });
  });

  test("a full disk under standard output (ENOSPC, /dev/full)", async ({ tempDir }) => {
    const { child, done } = startCli(["pull", `${registry}/test/single:v1`, "-o", "-"], { cwd: tempDir, stdoutFile: "/dev/full" });
    expect(child.pid).toBeGreaterThan(0);
    const result = await done;
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("dockerdl: error: the disk that standard output is written to is full\n  hint: free some space there, or write the tar somewhere else\n");
  });
});
