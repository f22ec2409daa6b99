// dockerdl pull, direct, against the zoo's bad-day members (members.ts, issue 25): a CDN
// that cuts each blob's first GET, tokens that live 2 s, 302s to URLs that expire in 2 s,
// a CDN slow enough that tokens and URLs expire mid-download, and a registry that
// ignores Range. Each file loads (skopeo checks every diff_id); the range-ignoring
// member sends each layer at most 1.2 times, and no member that serves its own blobs
// sees more sockets than --connections; a retry after a cut goes back to the registry
// for a fresh URL. The cut's overhead (extra bytes and seconds) is printed.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { test as base } from "../harness/fixtures-vitest.ts";
import { skopeoToOci } from "../harness/podman.ts";
import { BAD_DAY_MEMBERS, repositoryOf, startZoo, ZOO_TAG, type MemberSpec, type Zoo } from "../harness/zoo/index.ts";
import { runCli } from "./cli-helpers.ts";

const test = base.extend<{ $file: { zoo: Zoo } }>({
  zoo: [
    async ({}, use) => {
      const zoo = await startZoo({ members: BAD_DAY_MEMBERS.map((m) => m.id) });
      await use(zoo);
      await zoo.stop();
    },
    { scope: "file" },
  ],
});

const member = (id: string) => BAD_DAY_MEMBERS.find((m) => m.id === id) as MemberSpec;

/** Pulls `id`'s image directly; returns the run's seconds once its file has loaded. */
async function pull(zoo: Zoo, id: string, tempDir: string, extra: string[] = []): Promise<number> {
  const spec = member(id);
  const output = join(mkdtempSync(join(tempDir, `${id}-`)), "image.tar");
  const started = Date.now();
  const result = await runCli(["pull", `${new URL(zoo.members[id].url).host}/${repositoryOf(spec)}:${ZOO_TAG}`, ...extra, "-o", output], { cwd: tempDir });
  const seconds = (Date.now() - started) / 1000;
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(zoo.members[id].image.image.manifest.digest);
  await skopeoToOci(output);
  // No Authorization ever reached a host the registry redirected to.
  expect(zoo.state.log.filter((e) => e.role.startsWith("hop") && e.authorization)).toEqual([]);
  return seconds;
}

/** Body bytes `id`'s hosts sent for each layer, by digest. */
function bytesPerLayer(zoo: Zoo, id: string): Map<string, { size: number; sent: number }> {
  const layers = zoo.members[id].image.image.layers;
  return new Map(layers.map((l) => [l.digest, { size: l.bytes.length, sent: zoo.state.log.filter((e) => e.member === id && e.path.includes(l.digest)).reduce((n, e) => n + e.bytes, 0) }]));
}

describe("a registry that ignores Range", () => {
  test("the engine takes the 200 as the blob's one stream: each layer sent at most 1.2 times, never more sockets than --connections", async ({ zoo, tempDir }) => {
    zoo.state.reset();
    // Small chunks: without a fix, every one of them would be a whole-blob GET.
    await pull(zoo, "no-range", tempDir, ["--connections", "4", "--chunk-size", "2M"]);
    const layers = [...bytesPerLayer(zoo, "no-range").values()];
    console.log(`no-range: ${layers.map((l) => `${l.sent} bytes sent for a layer of ${l.size}`).join(", ")}; at most ${zoo.state.sockets.get("no-range")?.max} sockets open`);
    for (const { size, sent } of layers) expect(sent).toBeLessThanOrEqual(size * 1.2);
    expect(zoo.state.sockets.get("no-range")?.max).toBeLessThanOrEqual(4);
  });
});

describe("a CDN that cuts each blob's first GET part way", () => {
  test("the chunk resumes with a Range from where the cut left it", async ({ zoo, tempDir }) => {
    zoo.state.reset();
    const cut = await pull(zoo, "cut", tempDir);
    const cutBytes = [...bytesPerLayer(zoo, "cut").values()];
    // Once more without the cut (each blob's first GET is spent): the baseline.
    zoo.state.log = [];
    const whole = await pull(zoo, "cut", tempDir);
    const wholeBytes = [...bytesPerLayer(zoo, "cut").values()];
    const size = cutBytes.reduce((n, l) => n + l.size, 0);
    const extra = cutBytes.reduce((n, l) => n + l.sent, 0) - wholeBytes.reduce((n, l) => n + l.sent, 0);
    console.log(`resume overhead after a cut: ${extra} extra bytes of ${size}, ${(cut - whole).toFixed(2)} s (${cut.toFixed(2)} s against ${whole.toFixed(2)} s)`);
    // The big layer was cut once and resumed, not fetched again from its start.
    expect(zoo.state.log.length).toBeGreaterThan(0);
    for (const l of cutBytes) expect(l.sent).toBeLessThan(l.size + (1 << 20));
  });
});

describe("tokens that live 2 s", () => {
  test("a pull that outlives several tokens renews them", async ({ zoo, tempDir }) => {
    zoo.state.reset();
    await pull(zoo, "short-token", tempDir, ["--connections", "2", "--chunk-size", "2M"]);
    // Its blobs come from the registry itself: early requests wait for one of its 2 sockets.
    expect(zoo.state.sockets.get("short-token")?.max).toBeLessThanOrEqual(2);
    expect(zoo.state.log.filter((e) => e.member === "short-token" && e.path.startsWith("/token")).length).toBeGreaterThan(1);
  });
});

describe("302s to signed URLs that expire in 2 s, cut after they expired", () => {
  test("a retry asks the registry for a fresh URL rather than the expired one", async ({ zoo, tempDir }) => {
    zoo.state.reset();
    await pull(zoo, "signed-302", tempDir);
    // The cut came after the URL had expired: reusing it would have been refused.
    expect(zoo.state.log.filter((e) => e.member === "signed-302" && e.refused === "expired-url")).toEqual([]);
    const big = zoo.members["signed-302"].image.image.layers.reduce((a, b) => (a.bytes.length > b.bytes.length ? a : b));
    expect(zoo.state.log.filter((e) => e.member === "signed-302" && e.role === "registry" && e.path.includes(big.digest) && e.status === 302).length).toBeGreaterThan(1);
  });
});

describe("--connections, a ceiling on sockets open at once", () => {
  test("a registry that redirects to its CDN never sees more sockets than --connections, the two hosts together", async ({ zoo, tempDir }) => {
    zoo.state.reset();
    // Small chunks, so the engine asks for many at once, each a GET at the registry and one at its storage host.
    await pull(zoo, "signed-302", tempDir, ["--connections", "3", "--chunk-size", "1M"]);
    const redirected = zoo.state.log.filter((e) => e.member === "signed-302" && e.role === "registry" && e.status === 302).length;
    console.log(`signed-302: ${redirected} redirected GETs, at most ${zoo.state.sockets.get("signed-302")?.max} sockets open at once`);
    expect(redirected).toBeGreaterThan(3);
    expect(zoo.state.sockets.get("signed-302")?.max).toBeLessThanOrEqual(3);
  });
});

describe("a throttled CDN behind short tokens and URLs", () => {
  test("tokens and URLs that expire mid-download are renewed, not reused", async ({ zoo, tempDir }) => {
    zoo.state.reset();
    await pull(zoo, "throttled", tempDir, ["--connections", "2", "--chunk-size", "4M"]);
    expect(zoo.state.log.filter((e) => e.member === "throttled" && e.refused === "expired-url")).toEqual([]);
    expect(zoo.state.log.filter((e) => e.member === "throttled" && e.path.startsWith("/token")).length).toBeGreaterThan(1);
  });
});
