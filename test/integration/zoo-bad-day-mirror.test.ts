// Every client path through the mirror (PLAN=paid, with its R2 cache, as deployed) against
// each bad-day member of the zoo (members.ts, issue 25): a CDN that cuts each blob's first
// GET, tokens that live 2 s, 302s to URLs that expire in 2 s and a cut after they have,
// a throttled CDN behind 3 s tokens and URLs, a registry that ignores Range. The paths:
// dockerdl pull --proxy, skopeo 1.9 and podman 4.3 (neither resumes a cut), and curl of
// /api/download. Each path pulls an image of its own that nothing has fetched yet, so it
// meets the upstream, not the cache. Each output is proven by loading it (skopeo copies
// into an OCI layout, checking every digest; podman pulls into a fresh root); the CLI's
// and /api/download's tars are byte-compared with the CLI's direct pull of the same image.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { test as base } from "../harness/fixtures-vitest.ts";
import { podman, run, skopeoCopy } from "../harness/mirror-clients.ts";
import { skopeoToOci } from "../harness/podman.ts";
import { cacheKey, missingFromR2 } from "../harness/r2-cache.ts";
import { pushFreshImage, type FreshImage } from "../harness/zoo/fresh-image.ts";
import { BAD_DAY_MEMBERS, type MemberSpec, type Zoo } from "../harness/zoo/index.ts";
import { badDayZooFixture } from "../harness/zoo/vitest.ts";
import { runCli } from "./cli-helpers.ts";

const MiB = 1 << 20;

/**
 * Layer bytes per member: past each one's cut (2 MiB; 6 MiB for signed-302), long enough
 * at its throttle to outlive its tokens and URLs (2–3 s), short enough that the suite's
 * twenty pulls stay within a few minutes on a loaded machine.
 */
const LAYER: Record<string, number> = {
  cut: 4 * MiB,
  "short-token": 10 * MiB,
  "signed-302": 7 * MiB,
  throttled: 10 * MiB,
  "no-range": 8 * MiB,
};

const test = base.extend<{ $file: { zoo: Zoo } }>({ zoo: [badDayZooFixture, { scope: "file" }] });

const members = BAD_DAY_MEMBERS.map((m) => [m.id, m] as const);

/** The CLI's direct pull of `fresh`, named as the mirror names it, as the tar to compare with. */
async function directTar(zoo: Zoo, fresh: FreshImage, tempDir: string): Promise<Buffer> {
  const output = join(mkdtempSync(join(tempDir, "direct-")), "image.tar");
  const result = await runCli(["pull", fresh.directName, "--tag", fresh.mirrorName, "-o", output], { cwd: tempDir });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return readFileSync(output);
}

/** What every path must hold to: no Authorization at a redirect host, and the upstream's misbehaviour met. */
function checkUpstream(zoo: Zoo, member: MemberSpec, fresh: FreshImage): void {
  expect(zoo.state.log.filter((e) => e.role.startsWith("hop") && e.authorization)).toEqual([]);
  const layer = fresh.image.layers[0].digest;
  const gets = zoo.state.log.filter((e) => e.member === member.id && e.method === "GET" && e.path.includes(layer) && e.bytes > 0);
  expect(gets.length).toBeGreaterThan(0);
  // A cutting member did cut this path's first GET of the layer: the client finished anyway.
  const cut = member.quirks.cutFirstGetAfter;
  const size = fresh.image.layers[0].bytes.length;
  if (cut !== undefined) expect(gets.some((e) => e.bytes >= cut && e.bytes < size), `GETs of ${size} bytes: ${gets.map((e) => e.bytes).join(", ")}`).toBe(true);
}

/** The copied layout's layer digests (skopeo keeps layer bytes through the conversion). */
function copiedLayers(dir: string): string[] {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(readFileSync(join(dir, "blobs", "sha256", index.manifests[0].digest.slice(7)), "utf8")) as { layers: { digest: string }[] };
  return manifest.layers.map((l) => l.digest);
}

describe("through the mirror, each bad-day upstream", () => {
  test.for(members)("%s: dockerdl pull --proxy writes the tar the direct pull writes", async ([id, member], { zoo, tempDir }) => {
    const fresh = await pushFreshImage(zoo, member, "via-cli", LAYER[id]);
    zoo.state.reset();
    const output = join(mkdtempSync(join(tempDir, `cli-${id}-`)), "image.tar");
    const result = await runCli(["pull", fresh.mirrorName, "--proxy", zoo.worker!.url, "-o", output], { cwd: tempDir });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    checkUpstream(zoo, member, fresh);
    await skopeoToOci(output);
    expect(readFileSync(output).equals(await directTar(zoo, fresh, tempDir))).toBe(true);
  });

  test.for(members)("%s: skopeo copies the image, every digest checked", async ([id, member], { zoo, tempDir }) => {
    const fresh = await pushFreshImage(zoo, member, "via-skopeo", LAYER[id]);
    zoo.state.reset();
    const dir = join(mkdtempSync(join(tempDir, `skopeo-${id}-`)), "oci");
    const copied = await skopeoCopy(new URL(zoo.worker!.url).host, fresh.mirrorName, dir);
    expect(copied.code, copied.stderr).toBe(0);
    expect(copiedLayers(dir)).toEqual(fresh.image.layers.map((l) => l.digest));
    checkUpstream(zoo, member, fresh);
  });

  test.for(members)("%s: podman pulls the image into a fresh root", async ([id, member], { zoo }) => {
    const fresh = await pushFreshImage(zoo, member, "via-podman", LAYER[id]);
    zoo.state.reset();
    // podman refuses a --runroot over 50 characters: a short folder of its own, removed after.
    const root = mkdtempSync(join(tmpdir(), "dockerdl-pm-"));
    try {
      const client = podman(root);
      const name = `${new URL(zoo.worker!.url).host}/${fresh.mirrorName}`;
      const pulled = await client.pull(name);
      expect(pulled.code, pulled.stderr).toBe(0);
      const inspected = await client.inspect(name, "{{.Id}}");
      expect(`sha256:${inspected.stdout.trim()}`).toBe(fresh.image.config.digest);
    } finally {
      // vfs layers may be read-only folders.
      await run("chmod", ["-R", "u+w", root]);
      rmSync(root, { recursive: true, force: true });
    }
    checkUpstream(zoo, member, fresh);
  });

  test.for(members)("%s: curl of /api/download gets the tar the direct pull writes", async ([id, member], { zoo, tempDir }) => {
    const fresh = await pushFreshImage(zoo, member, "via-api", LAYER[id]);
    zoo.state.reset();
    const file = join(mkdtempSync(join(tempDir, `api-${id}-`)), "image.tar");
    const query = new URLSearchParams({ image: fresh.mirrorName, platform: "linux/amd64" });
    // Not execFileSync: the zoo answers from this process, whose event loop must keep running.
    const curl = await run("curl", ["-sSf", "-o", file, `${zoo.worker!.url}/api/download?${query}`]);
    expect(curl.code, curl.stderr).toBe(0);
    checkUpstream(zoo, member, fresh);
    await skopeoToOci(file);
    expect(readFileSync(file).equals(await directTar(zoo, fresh, tempDir))).toBe(true);
  });
});

describe("a registry that ignores Range, through the mirror", () => {
  const noRange = BAD_DAY_MEMBERS.find((m) => m.id === "no-range")!;
  /** Bytes the member sent for `fresh`'s layer once the mirror has cached it (its fill's read counted too). */
  async function sentForLayer(zoo: Zoo, fresh: FreshImage): Promise<{ size: number; sent: number }> {
    const layer = fresh.image.layers[0];
    await expect.poll(() => missingFromR2(zoo.worker!.url, [cacheKey.blob(layer.digest)]), { timeout: 60_000 }).toEqual([]);
    const sent = zoo.state.log.filter((e) => e.member === noRange.id && e.path.includes(layer.digest)).reduce((n, e) => n + e.bytes, 0);
    return { size: layer.bytes.length, sent };
  }

  test("the CLI's ranged pull costs the upstream each layer at most 1.2 times", async ({ zoo, tempDir }) => {
    const fresh = await pushFreshImage(zoo, noRange, "ranged-bytes", 24 * MiB);
    zoo.state.reset();
    const output = join(mkdtempSync(join(tempDir, "bytes-cli-")), "image.tar");
    const result = await runCli(["pull", fresh.mirrorName, "--proxy", zoo.worker!.url, "--chunk-size", "4M", "-o", output], { cwd: tempDir });
    expect(result.code, result.stderr).toBe(0);
    const { size, sent } = await sentForLayer(zoo, fresh);
    console.log(`no-range through the mirror, dockerdl pull: ${sent} bytes sent for a layer of ${size}`);
    expect(sent).toBeLessThanOrEqual(size * 1.2);
  });

  test("skopeo's whole GET costs the upstream each layer at most 1.2 times", async ({ zoo, tempDir }) => {
    const fresh = await pushFreshImage(zoo, noRange, "whole-bytes", 24 * MiB);
    zoo.state.reset();
    const copied = await skopeoCopy(new URL(zoo.worker!.url).host, fresh.mirrorName, join(mkdtempSync(join(tempDir, "bytes-skopeo-")), "oci"));
    expect(copied.code, copied.stderr).toBe(0);
    const { size, sent } = await sentForLayer(zoo, fresh);
    console.log(`no-range through the mirror, skopeo: ${sent} bytes sent for a layer of ${size}`);
    expect(sent).toBeLessThanOrEqual(size * 1.2);
  });
});

describe("what resuming a cut costs through the mirror", () => {
  const cut = BAD_DAY_MEMBERS.find((m) => m.id === "cut")!;
  const SIZE = 32 * MiB;

  /** Pulls `fresh` with `client`; the member's blob bytes for its layer and the pull's seconds. */
  async function measured(zoo: Zoo, fresh: FreshImage, client: () => Promise<void>): Promise<{ sent: number; seconds: number }> {
    zoo.state.log = [];
    const started = performance.now();
    await client();
    const seconds = (performance.now() - started) / 1000;
    const layer = fresh.image.layers[0].digest;
    return { sent: zoo.state.log.filter((e) => e.member === cut.id && e.path.includes(layer)).reduce((n, e) => n + e.bytes, 0), seconds };
  }

  test.for(["skopeo", "/api/download"] as const)("%s: extra bytes and seconds of a cut layer against the same pull uncut", async (client, { zoo, tempDir }) => {
    zoo.state.reset();
    const name = client === "skopeo" ? "cost-skopeo" : "cost-api";
    const [cutImage, whole] = [await pushFreshImage(zoo, cut, `${name}-cut`, SIZE), await pushFreshImage(zoo, cut, `${name}-whole`, SIZE)];
    // The uncut one's first GET counts as spent: it is not cut.
    for (const blob of [whole.image.config, ...whole.image.layers]) zoo.state.firstGet(cut.id, blob.digest);
    const pull = (fresh: FreshImage) => async () => {
      if (client === "skopeo") {
        const copied = await skopeoCopy(new URL(zoo.worker!.url).host, fresh.mirrorName, join(mkdtempSync(join(tempDir, `${name}-`)), "oci"));
        expect(copied.code, copied.stderr).toBe(0);
      } else {
        const file = join(mkdtempSync(join(tempDir, `${name}-`)), "image.tar");
        const curl = await run("curl", ["-sSf", "-o", file, `${zoo.worker!.url}/api/download?${new URLSearchParams({ image: fresh.mirrorName, platform: "linux/amd64" })}`]);
        expect(curl.code, curl.stderr).toBe(0);
        await skopeoToOci(file);
      }
    };
    const plain = await measured(zoo, whole, pull(whole));
    const resumed = await measured(zoo, cutImage, pull(cutImage));
    const size = cutImage.image.layers[0].bytes.length;
    console.log(`resuming through the mirror (${client}, a ${size}-byte layer cut after ${cut.quirks.cutFirstGetAfter} bytes): `
      + `${resumed.sent - size} extra bytes from the upstream, ${(resumed.seconds - plain.seconds).toFixed(2)} s more (${resumed.seconds.toFixed(2)} s against ${plain.seconds.toFixed(2)} s uncut)`);
    expect(plain.sent).toBe(whole.image.layers[0].bytes.length);
    // At most what the cut interrupted is asked twice: the mirror's read chunk (4 MiB),
    // whose bytes are lost with the read the cut fails.
    expect(resumed.sent).toBeLessThanOrEqual(size + 4 * MiB);
  });
});
