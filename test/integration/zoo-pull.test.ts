// dockerdl pull against every member of the registry zoo (test/harness/zoo/), direct and
// through the mirror: each file loads (skopeo checks every diff_id), and no Authorization
// ever reaches a host a registry redirected to. Then the hard cases: a resume after a kill
// once the tokens and the signed redirect URLs have expired (every member), a token that
// expires in the middle of a download, and Hub's 429 with an HTML body.
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { buildImage, noise } from "../harness/image-builder.ts";
import { skopeoToOci } from "../harness/podman.ts";
import { directName, MEMBERS, mirrorName, zooTest as test } from "../harness/zoo/vitest.ts";
import type { MemberSpec, Zoo } from "../harness/zoo/index.ts";
import { runCli, startCli } from "./cli-helpers.ts";

describe.each(["direct", "proxy"] as const)("dockerdl pull from the zoo (%s)", (mode) => {
  test.for(MEMBERS.map((m) => [m.id, m] as const))("%s-like registry", async ([, member], { zoo, tempDir }) => {
    const output = join(mkdtempSync(join(tempDir, `${mode}-${member.id}-`)), "image.tar");
    const args = mode === "direct" ? [directName(zoo, member)] : [mirrorName(member), "--proxy", zoo.worker!.url];
    const result = await runCli(["pull", ...args, "-o", output], { cwd: tempDir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const { image } = zoo.members[member.id];
    expect(result.stdout).toContain(image.image.manifest.digest);
    expect(readdirSync(join(output, ".."))).toEqual(["image.tar"]);
    await skopeoToOci(output);
    expect(zoo.state.log.filter((e) => e.role.startsWith("hop") && e.authorization)).toEqual([]);
  });
});

/** Layer bytes the resume state of `output` vouches for. */
function savedBytes(output: string): number {
  const file = `${output}.part.json`;
  if (!existsSync(file)) return 0;
  const state = JSON.parse(readFileSync(file, "utf8")) as { engine: { blobs: Record<string, { verified: boolean; received: number[] }> } };
  return Object.values(state.engine.blobs).reduce((n, b) => n + b.received.reduce((a, r) => a + r, 0), 0);
}

const hub = MEMBERS.find((m) => m.id === "hub")!;

/** A member's image that no cache holds yet, and how the CLI names it directly or through the mirror. */
async function freshImage(zoo: Zoo, member: MemberSpec, name: string, mode: "direct" | "proxy"): Promise<string[]> {
  const repository = member.key === "docker.io" ? `library/${name}` : `zoo/${name}`;
  await zoo.push(member.id, repository, "v1", buildImage({ layers: [[{ path: "noise.bin", content: noise(`zoo/${member.id}/${name}`, 512 << 10) }]] }));
  if (mode === "direct") return [`${new URL(zoo.members[member.id].url).host}/${repository}:v1`];
  return [member.key === "docker.io" ? `${name}:v1` : `${member.key}/${repository}:v1`, "--proxy", zoo.worker!.url];
}

describe.each(["direct", "proxy"] as const)("a resume after a kill, once tokens and signed redirect URLs have expired (%s)", (mode) => {
  test.for(MEMBERS.map((m) => [m.id, m] as const))("%s-like registry", async ([, member], { zoo, tempDir }) => {
    zoo.state.reset();
    // 8 s for the 512 KiB layer, well past the CLI's first checkpoint (2 s): the kill
    // comes after one, whatever the load; the run is killed then, so it costs ~2 s.
    zoo.state.throttle = 64 << 10;
    const output = join(mkdtempSync(join(tempDir, `resume-${mode}-${member.id}-`)), "image.tar");
    // One connection and small ranges, so the kill finds some ranges saved and some not.
    const args = ["pull", ...(await freshImage(zoo, member, `resume-${mode}`, mode)), "--connections", "1", "--chunk-size", "128K", "-o", output];
    const first = startCli(args, { cwd: tempDir });
    await expect.poll(() => savedBytes(output), { timeout: 30_000 }).toBeGreaterThan(0);
    first.child.kill("SIGKILL");
    await first.done;
    expect(existsSync(output)).toBe(false);
    const expiredAt = Date.now();
    zoo.state.expireAll();
    zoo.state.throttle = 0;
    const second = await runCli(args, { cwd: tempDir });
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    // Every signed URL asked for was a fresh one: the resume went back to the registry. (A
    // redirect the mirror's background fill was following at the very moment of the
    // expiry may land just after it; a URL issued a second or more before was reused.)
    const reused = zoo.state.log.filter((e) => e.refused === "expired-url" && expiredAt - Number(new URL(e.path, "http://zoo").searchParams.get("issued")) > 1000);
    expect(reused).toEqual([]);
    expect(zoo.state.log.filter((e) => e.role.startsWith("hop") && e.authorization)).toEqual([]);
    await skopeoToOci(output);
  });
});

describe.each(["direct", "proxy"] as const)("Hub-like token expiry (%s)", (mode) => {
  test("a token that expires mid-download: later ranges get 401, and the client renews it", async ({ zoo, tempDir }) => {
    zoo.state.reset();
    zoo.state.throttle = 256 << 10;
    const output = join(mkdtempSync(join(tempDir, `expiry-${mode}-`)), "image.tar");
    // One connection and small ranges, so ranges are still asked for after the expiry.
    const args = ["pull", ...(await freshImage(zoo, hub, `expiry-${mode}`, mode)), "--connections", "1", "--chunk-size", "128K", "-o", output];
    const run = startCli(args, { cwd: tempDir });
    await expect.poll(() => zoo.state.blobBytes("hub"), { timeout: 30_000 }).toBeGreaterThan(200_000);
    zoo.state.expireAll();
    zoo.state.throttle = 0;
    const result = await run.done;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(zoo.state.log.some((e) => e.refused === "expired-token")).toBe(true);
    // A URL signed just before expireAll() may be refused when it arrives (a race the real
    // CDN has too); what must never happen is asking a refused URL again instead of a fresh redirect.
    const refused = new Set(zoo.state.log.filter((e) => e.refused === "expired-url").map((e) => e.path));
    expect(zoo.state.log.filter((e) => e.refused === "expired-url").length).toBe(refused.size);
    await skopeoToOci(output);
  });
});

describe.each(["direct", "proxy"] as const)("Hub-like rate limit (%s)", (mode) => {
  test("a 429 with an HTML body once the anonymous limit is spent reads as a rate limit, not as HTML", async ({ zoo, tempDir }) => {
    zoo.state.reset();
    const ref = await freshImage(zoo, hub, `limited-${mode}`, mode);
    zoo.state.hubLimit = 0;
    try {
      const output = join(mkdtempSync(join(tempDir, `limited-${mode}-`)), "image.tar");
      const result = await runCli(["pull", ...ref, "-o", output], { cwd: tempDir });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^dockerdl: error: .*rate.?limit/im);
      expect(result.stderr).not.toMatch(/<html|<body|<h1/i);
      if (mode === "proxy") {
        // The mirror says what lifts the limit, in its registry error (the CLI prints it) and in the seed API's JSON.
        expect(result.stderr).toContain("Docker Hub is rate limiting this mirror; retry later, or set upstream credentials (UPSTREAM_AUTH)");
        const api = await fetch(`${zoo.worker!.url}/api/download?${new URLSearchParams({ image: ref[0], platform: "linux/amd64" })}`);
        expect(api.status).toBe(429);
        expect(api.headers.get("content-type")).toMatch(/json/);
        expect(((await api.json()) as { error: { message: string } }).error.message).toBe("Docker Hub is rate limiting this mirror; retry later, or set upstream credentials (UPSTREAM_AUTH)");
      }
      expect(zoo.state.log.some((e) => e.status === 429)).toBe(true);
      expect(existsSync(output)).toBe(false);
    } finally {
      zoo.state.hubLimit = 1000;
    }
  });
});
