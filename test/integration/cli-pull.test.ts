// The CLI end to end against the harness's real registries, direct and through the
// Worker under wrangler dev: every fixture downloads to a tar that podman loads into a
// fresh root, that skopeo copies to an OCI layout (checking diff_ids), and that GNU
// tar and Python's tarfile list; every refusal says what was wrong and leaves no file.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixtureImage, harness, worker } from "../harness/injected.ts";
import { podmanLoad, pythonTarNames, skopeoToOci, tarList } from "../harness/podman.ts";
import { hostOf, runCli } from "./cli-helpers.ts";

const registry = hostOf(harness.registry);
const basic = hostOf(harness.basicRegistry);
const workDir = mkdtempSync(join(tmpdir(), "dockerdl-cli-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const user = harness.user;
const basicUser = harness.basicUser;

interface Case {
  name: string;
  args: string[];
  stdin?: string;
  /** What podman should list after loading (registry prefix as the CLI names it). */
  tag?: string;
  manifest: string;
  layers: number;
}

function cases(mode: "direct" | "proxy"): Case[] {
  const direct = mode === "direct";
  const name = (repo: string) => (direct ? `${registry}/${repo}` : repo);
  const shown = (repo: string) => (direct ? `${registry}/${repo}` : `docker.io/${repo}`);
  const extra = direct ? [] : ["--proxy", worker];
  const multi = fixtureImage("test/multi");
  const list = fixtureImage("test/list");
  const single = fixtureImage("test/single");
  const out: Case[] = [
    { name: "single-arch image", args: [name("test/single:v1")], tag: `${shown("test/single")}:v1`, manifest: single.digest, layers: 2 },
    ...(["linux/amd64", "linux/arm64/v8", "linux/arm/v7"] as const).map((p) => ({
      name: `multi-arch index, ${p}`, args: [name("test/multi:v1"), "--platform", p === "linux/arm64/v8" ? "linux/arm64" : p],
      tag: `${shown("test/multi")}:v1`, manifest: multi.platforms[p], layers: 2,
    })),
    ...(["linux/amd64", "linux/arm64/v8"] as const).map((p) => ({
      name: `Docker manifest list, ${p}`, args: [name("test/list:v1"), "--platform", p], tag: `${shown("test/list")}:v1`, manifest: list.platforms[p], layers: 2,
    })),
    { name: "42 layers", args: [name("test/many:v1")], tag: `${shown("test/many")}:v1`, manifest: fixtureImage("test/many").digest, layers: 42 },
    { name: "nested repository name", args: [name("a/b/c:v1")], tag: `${shown("a/b/c")}:v1`, manifest: fixtureImage("a/b/c").digest, layers: 2 },
    { name: "private image with credentials", args: [name("private/secret:v1"), "--username", user.username, "--password-stdin"], stdin: `${user.password}\n`, tag: `${shown("private/secret")}:v1`, manifest: fixtureImage("private/secret").digest, layers: 2 },
    { name: "pinned by digest", args: [`${name("test/single")}@${single.digest}`], manifest: single.digest, layers: 2 },
    {
      name: "Basic-auth registry", args: [direct ? `${basic}/team/tool:v1` : "basic.test/team/tool:v1", "--username", basicUser.username, "--password-stdin"], stdin: basicUser.password,
      tag: direct ? `${basic}/team/tool:v1` : "basic.test/team/tool:v1", manifest: harness.basicFixtures.find((f) => f.repository === "team/tool")!.digest, layers: 1,
    },
  ];
  // Docker Hub's short names only reach the harness through the mirror (docker.io → it).
  out.push(direct
    ? { name: "library image", args: [`${registry}/library/hello`], tag: `${registry}/library/hello:latest`, manifest: fixtureImage("library/hello").digest, layers: 2 }
    : { name: "library short name", args: ["hello"], tag: "docker.io/library/hello:latest", manifest: fixtureImage("library/hello").digest, layers: 2 });
  return out.map((c) => ({ ...c, args: [...c.args, ...extra] }));
}

const directBlobs = new Map<string, string[]>();
const LOAD_THROUGH_PROXY = new Set(["library short name", "multi-arch index, linux/arm/v7", "private image with credentials", "Basic-auth registry"]);

async function pullAndValidate(mode: string, c: Case, index: number): Promise<void> {
  const dir = join(workDir, `${mode}-${index}`);
  const output = join(dir, "image.tar");
  mkdirSync(dir);
  const result = await runCli(["pull", ...c.args, "-o", output], { cwd: workDir, ...(c.stdin === undefined ? {} : { stdin: c.stdin }) });
  expect(result.stderr, c.name).toBe("");
  expect(result.code, c.name).toBe(0);
  expect(result.stdout).toContain(c.manifest);
  expect(readdirSync(dir)).toEqual(["image.tar"]); // no .part, no state left behind

  const manifestJson = JSON.parse(tarMember(output, "manifest.json")) as { Config: string; RepoTags: string[]; Layers: string[] }[];
  expect(manifestJson[0].Layers).toHaveLength(c.layers);
  const listing = await tarList(output);
  expect(listing.some((l) => l.endsWith(`blobs/sha256/${c.manifest.slice(7)}`))).toBe(true);
  expect(await pythonTarNames(output)).toEqual(listing.map((l) => l.split(/\s+/).at(-1)?.replace(/\/$/, "")));
  const blobs = listing.filter((l) => /blobs\/sha256\/[0-9a-f]{64}$/.test(l));
  const direct = directBlobs.get(c.name);
  if (mode === "direct") directBlobs.set(c.name, blobs);
  else if (direct !== undefined && !LOAD_THROUGH_PROXY.has(c.name)) {
    // Same blob names (digests, each verified) and sizes as the direct download, which
    // podman and skopeo loaded: loading them again would prove nothing new.
    expect(blobs).toEqual(direct);
    return;
  }
  await skopeoToOci(output);
  const loaded = await podmanLoad(output);
  if (c.tag) {
    expect(loaded.images.map((i) => i.name)).toEqual([c.tag]);
    expect(manifestJson[0].RepoTags).toHaveLength(1);
  } else {
    expect(manifestJson[0].RepoTags).toEqual([]);
    expect(loaded.images).toHaveLength(1);
  }
  expect(`sha256:${loaded.images[0].id}`).toSatisfy((id: string) => manifestJson[0].Config.includes(id.slice(7)));
}

/** Reads one member of a small tar (the CLI's output) without extracting it. */
function tarMember(file: string, name: string): string {
  const bytes = readFileSync(file);
  for (let at = 0; at + 512 <= bytes.length;) {
    const header = bytes.subarray(at, at + 512);
    const entry = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    const size = parseInt(header.subarray(124, 136).toString("utf8").replace(/\0.*$/s, "").trim() || "0", 8);
    if (entry === name) return bytes.subarray(at + 512, at + 512 + size).toString("utf8");
    at += 512 + Math.ceil(size / 512) * 512;
  }
  throw new Error(`${name} not in ${file}`);
}

for (const mode of ["direct", "proxy"] as const) {
  describe(`dockerdl pull (${mode === "direct" ? "direct to the registry" : "through the Worker"})`, () => {
    cases(mode).forEach((c, i) => {
      it(`${c.name}: the tar loads in podman and skopeo`, () => pullAndValidate(mode, c, i));
    });
  });
}

describe("dockerdl pull refuses clearly and leaves no file", () => {
  const refusals: { name: string; args: string[]; stdin?: string; code: number; message: RegExp; hint?: RegExp }[] = [
    {
      name: "a private image without credentials", args: [`${registry}/private/secret:v1`], code: 1,
      message: /refused access to .*private\/secret:v1/, hint: /--username U --password-stdin/,
    },
    {
      name: "a private image without credentials, through the Worker", args: ["private/secret:v1", "--proxy", worker], code: 1,
      message: /refused access to private\/secret:v1/, hint: /--username U --password-stdin/,
    },
    {
      name: "a wrong password", args: [`${registry}/private/secret:v1`, "--username", user.username, "--password-stdin"], stdin: "wrong\n", code: 1,
      message: /rejected the username or password/, hint: /check the username and password/,
    },
    {
      name: "a wrong Basic password", args: [`${basic}/team/tool:v1`, "--username", basicUser.username, "--password-stdin"], stdin: "wrong", code: 1,
      message: /refused access|rejected the username or password/, hint: /username and password/,
    },
    {
      name: "a platform the index lacks", args: [`${registry}/test/multi:v1`, "--platform", "linux/ppc64le"], code: 1,
      message: /linux\/ppc64le is not available for .*test\/multi:v1; it offers linux\/amd64, linux\/arm64\/v8, linux\/arm\/v7/,
      hint: /--platform/,
    },
    {
      name: "a platform a single-arch image lacks", args: [`${registry}/test/single:v1`, "--platform", "linux/arm64"], code: 1,
      message: /linux\/arm64 is not available for .*test\/single:v1; it offers linux\/amd64/,
    },
    {
      name: "a tag that does not exist", args: [`${registry}/test/single:nope`], code: 1,
      message: /test\/single has no tag nope$/, hint: /dockerdl tags .*test\/single$/,
    },
    {
      name: "a repository that does not exist, through the Worker", args: ["test/absent:v1", "--proxy", worker], code: 1,
      message: /test\/absent does not exist on docker\.io/, hint: /spelling/,
    },
    { name: "an upper-case name", args: ["Ubuntu:22.04"], code: 1, message: /"Ubuntu" is not valid: repository names must be lowercase/, hint: /name\[:tag\]/ },
    { name: "a bad tag", args: ["ubuntu:-x"], code: 1, message: /tag "-x" is not valid/ },
    { name: "a bad digest", args: ["ubuntu@sha256:abc"], code: 1, message: /digest "sha256:abc" is not valid/ },
    { name: "a bad platform", args: [`${registry}/test/single:v1`, "--platform", "linux"], code: 1, message: /"linux" is not a valid platform/, hint: /os\/architecture/ },
    { name: "an unreachable registry", args: ["127.0.0.1:1/x/y:z"], code: 1, message: /could not reach 127\.0\.0\.1:1/, hint: /^ {2}hint: check that the registry at 127\.0\.0\.1:1 is running and that the address is right$/ },
    { name: "--username without --password-stdin", args: ["ubuntu", "--username", "me"], code: 2, message: /--username needs --password-stdin/ },
    { name: "an unknown option", args: ["ubuntu", "--frobnicate"], code: 2, message: /frobnicate/, hint: /--help/ },
  ];
  refusals.forEach((r, i) => {
    it(`refuses ${r.name}: exit status ${r.code}, the error${r.hint ? " and a hint" : ""} on stderr, no file`, async () => {
      const dir = join(workDir, `refusal-${i}`);
      const result = await runCli(["pull", ...r.args, "-o", join(dir, "out.tar")], { cwd: workDir, ...(r.stdin === undefined ? {} : { stdin: r.stdin }) });
      expect(result.code).toBe(r.code);
      expect(result.stdout).toBe("");
      const [first, second] = result.stderr.split("\n");
      expect(first).toMatch(/^dockerdl: error: /);
      expect(first).toMatch(r.message);
      if (r.hint) expect(second).toMatch(/^ {2}hint: /);
      if (r.hint) expect(second).toMatch(r.hint);
      expect(() => readdirSync(dir)).toThrow(); // nothing was created
    });
  });

  it("prints its usage for --help and exits 0", async () => {
    const result = await runCli(["--help"], { cwd: workDir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("dockerdl pull <image> [options]");
    expect(result.stdout).toContain("--password-stdin");
    expect(result.stdout).toContain("dockerdl <command> --help");
  });

  it("prints each command's own help for <command> --help and help <command>", async () => {
    const pull = await runCli(["pull", "--help"], { cwd: workDir });
    const tags = await runCli(["tags", "--help"], { cwd: workDir });
    const helpTags = await runCli(["help", "tags"], { cwd: workDir });
    for (const r of [pull, tags, helpTags]) expect(r.code).toBe(0);
    expect(pull.stdout).not.toBe(tags.stdout);
    expect(helpTags.stdout).toBe(tags.stdout);
    expect(pull.stdout).toMatch(/^dockerdl pull — /);
    for (const flag of ["--platform", "--output", "--file", "--tag", "--connections", "--chunk-size", "--read-timeout", "--quiet", "--proxy"]) expect(pull.stdout).toContain(flag);
    expect(tags.stdout).toMatch(/^dockerdl tags — /);
    expect(tags.stdout).toContain("dockerdl tags <repository>");
    for (const flag of ["--platform", "--output", "--chunk-size"]) expect(tags.stdout).not.toContain(flag);
  });

  it("says where credentials are looked up in the order the code looks (REGISTRY_AUTH_FILE first)", async () => {
    const { stdout } = await runCli(["pull", "--help"], { cwd: workDir });
    const text = stdout.replace(/\s+/g, " ");
    expect(text.indexOf("$REGISTRY_AUTH_FILE")).toBeGreaterThan(0);
    expect(text.indexOf("$REGISTRY_AUTH_FILE")).toBeLessThan(text.indexOf("config.json"));
  });

  it("refuses a --read-timeout that is not whole seconds from 1 to 3600, saying what to write", async () => {
    for (const bad of ["0", "1.5", "soon", "3601"]) {
      const result = await runCli(["pull", "alpine", "--read-timeout", bad], { cwd: workDir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`dockerdl: error: --read-timeout ${bad} must be whole seconds from 1 to 3600, e.g. --read-timeout 120`);
    }
  });

  it("refuses an unknown command, with or without --help", async () => {
    for (const args of [["frob"], ["frob", "--help"], ["help", "frob"]]) {
      const result = await runCli(args, { cwd: workDir });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^dockerdl: error: unknown command "frob"; the commands are pull, tags, digest, manifest, config/);
    }
  });
});
