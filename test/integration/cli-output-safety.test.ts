// What `dockerdl pull -o` does to files that are not its own (run as root here, where a
// mistake costs most): a FIFO or a device given to -o is written into, as standard
// output is, never replaced by a regular file; a `.part` or a state `.tmp` that is a
// symbolic link (planted beside the output) is refused, and what it points to is untouched.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { test } from "../harness/fixtures-vitest.ts";
import { fixtureImage, harness } from "../harness/injected.ts";
import { podmanLoad } from "../harness/podman.ts";
import { hostOf, runCli } from "./cli-helpers.ts";

const registry = hostOf(harness.registry);
const single = fixtureImage("test/single");
const image = `${registry}/test/single:v1`;

function dirIn(tempDir: string, name: string): string {
  const dir = join(tempDir, name);
  mkdirSync(dir);
  return dir;
}

describe("dockerdl pull -o a FIFO or a device: written into, never replaced", { timeout: 60_000 }, () => {
  test("a FIFO: the tar goes through it to its reader (podman load), and it is still a FIFO after", async ({ tempDir }) => {
    const dir = dirIn(tempDir, "fifo");
    const fifo = join(dir, "pipe");
    execFileSync("mkfifo", [fifo]);
    // The reader is another process: one that waits on a FIFO replaced under it waits for ever, and is killed.
    const reader = spawn("cat", [fifo], { stdio: ["ignore", "pipe", "ignore"] });
    const loading = podmanLoad(reader.stdout);
    loading.catch(() => {});
    try {
      const result = await runCli(["pull", image, "-o", fifo], { cwd: dir });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(lstatSync(fifo).isFIFO()).toBe(true);
      expect((await loading).images.map((i) => i.name)).toEqual([image]);
      expect(result.stdout).toContain(single.digest);
    } finally {
      reader.kill();
    }
  });

  test("a full device (a node of /dev/full's): fails saying it is full, and the device stays a device", async ({ tempDir }) => {
    const dir = dirIn(tempDir, "device");
    // A private node of the same device (char 1,7), so a failure here cannot replace the machine's /dev/full.
    const device = join(dir, "full");
    execFileSync("mknod", [device, "c", "1", "7"]);
    const result = await runCli(["pull", image, "-o", device], { cwd: dir });
    expect(lstatSync(device).isCharacterDevice()).toBe(true);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`dockerdl: error: ${device} is full: no space is left on it\n  hint: write the tar somewhere else with -o\n`);
    expect(existsSync(`${device}.part`)).toBe(false);
  });

  test("a device that takes everything (a node of /dev/null's): the download completes into it", async ({ tempDir }) => {
    const dir = dirIn(tempDir, "null");
    const device = join(dir, "null");
    execFileSync("mknod", [device, "c", "1", "3"]);
    const result = await runCli(["pull", image, "-o", device], { cwd: dir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lstatSync(device).isCharacterDevice()).toBe(true);
  });
});

describe("dockerdl pull refuses a planted symbolic link where its own files go", { timeout: 60_000 }, () => {
  test.for([
    ["the part file", "image.tar.part"],
    ["the resume state's temporary file", "image.tar.part.json.tmp"],
  ])("%s (%s): refused with a clear error, its target untouched", async ([, name], { tempDir }) => {
    const dir = dirIn(tempDir, name.replace(/\W/g, "-"));
    const victim = join(dir, "victim.txt");
    writeFileSync(victim, "precious\n");
    symlinkSync(victim, join(dir, name));
    const output = join(dir, "image.tar");
    const result = await runCli(["pull", image, "-o", output], { cwd: dir });
    expect(readFileSync(victim, "utf8")).toBe("precious\n");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^dockerdl: error: ${join(dir, name).replace(/\./g, "\\.")} is a symbolic link; dockerdl does not write through one\n  hint: remove it`));
    expect(existsSync(output)).toBe(false);
  });
});
