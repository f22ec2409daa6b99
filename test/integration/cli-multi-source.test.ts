// One pull from several mirrors at once (issue #29), end to end: the real CLI against
// relays (test/harness/relay.ts) in front of a real registry, each relay one mirror
// (a Docker Hub name goes to <mirror>/v2/<repository>, which the relay passes on). Every
// mirror takes a share and the file is byte-identical to a one-mirror pull and loads;
// a mirror missing a layer (404) is skipped; one that flips a byte is named, dropped and
// the file is still right, and two among four lying differently in all they send are both; with -o - the stream is
// out already, so the liar is named and the pull fails saying what to do; with only two
// mirrors, one flipping a byte in every range it sends (its refetches too) is the one
// named, never the honest one, and with -o - (nothing to read back) both are named as
// disagreeing; one killed half way is left behind and the pull finishes; --trust
// resolves the tag on the mirror it names.
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { test as base } from "../harness/fixtures-vitest.ts";
import { buildImage, noise } from "../harness/image-builder.ts";
import { podmanLoad } from "../harness/podman.ts";
import { openPusher } from "../harness/registry-push.ts";
import { pushFixtures } from "../harness/fixtures.ts";
import { startRegistry, type Registry } from "../harness/registry.ts";
import { startRelay, type Relay } from "../harness/relay.ts";
import { runCli, startCli } from "./cli-helpers.ts";

const image = buildImage({
  layers: [
    [{ path: "big.bin", content: noise("multi/big", 6 << 20) }],
    [{ path: "mid.bin", content: noise("multi/mid", 2 << 20) }],
    [{ path: "small.txt", content: "small\n" }],
  ],
});
const big = image.layers[0].digest;
const REFERENCE = "test/multi:v1";

const test = base.extend<{ $file: { registry: Registry; relays: Relay[]; reference: Buffer } }>({
  /** A registry without auth holding the image above. */
  registry: [
    async ({ tempDir }, use) => {
      const registry = await startRegistry("multi", join(tempDir, "registry"), { kind: "none" });
      await pushFixtures(openPusher(registry.url), [{ repository: "test/multi", tag: "v1", built: image }]);
      await use(registry);
      await registry.stop();
    },
    { scope: "file" },
  ],
  /** Three mirrors: relays in front of it. */
  relays: [
    async ({ registry }, use) => {
      const relays = await Promise.all([0, 1, 2].map(() => startRelay(registry.url)));
      await use(relays);
      await Promise.all(relays.map((r) => r.stop()));
    },
    { scope: "file" },
  ],
  /** The tar a pull from one mirror writes: what every multi-source pull must equal. */
  reference: [
    async ({ relays, tempDir }, use) => {
      const output = join(tempDir, "one-source.tar");
      const result = await runCli(["pull", REFERENCE, "--proxy", relays[0].url, "-o", output], { cwd: tempDir, env: env(tempDir) });
      expect(result.stderr).toBe("");
      await use(readFileSync(output));
    },
    { scope: "file" },
  ],
});

test.beforeEach(({ relays }) => {
  for (const r of relays) {
    r.reset();
    r.shaping = {};
  }
});

/** A fault flipping a byte in a relay's first range of the big layer, and in no other. */
function flipOnce(): Relay["fault"] {
  let fired = false;
  return (r) => {
    if (fired || r.method !== "GET" || !r.path.includes(`/blobs/${big}`)) return undefined;
    fired = true;
    return { kind: "corrupt", atByte: 1000 };
  };
}

/**
 * Flips byte `atByte` of every range of the big layer it sends, refetches too; has no
 * other layer (404), so it spends its connections on the big one and its bytes are
 * written there. Two with different `atByte` lie differently, as two broken mirrors would.
 */
function liesOnBig(atByte = 1000): Relay["fault"] {
  return (r) => {
    if (r.method !== "GET" || !r.path.includes("/blobs/")) return undefined;
    if (r.path.includes(`/blobs/${big}`)) return { kind: "corrupt", atByte };
    return image.layers.some((l) => r.path.includes(`/blobs/${l.digest}`)) ? { kind: "status", status: 404 } : undefined;
  };
}

/** The environment without the machine's proxies, mirrors or config file. */
function env(dir: string): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|no)_proxy$|^dockerdl_(proxy|mirrors)$/i.test(k)));
  return { ...clean, XDG_CONFIG_HOME: join(dir, "no-config") };
}

function mirrorArgs(relays: readonly Relay[]): string[] {
  return ["--no-direct", ...relays.flatMap((r) => ["--mirror", r.url])];
}

async function pull(relays: readonly Relay[], dir: string, extra: string[] = []) {
  const output = join(mkdtempSync(join(dir, "run-")), "multi.tar");
  const result = await runCli(["pull", REFERENCE, ...mirrorArgs(relays), "--chunk-size", "1M", "-o", output, ...extra], { cwd: dir, env: env(dir) });
  return { ...result, output };
}

describe("dockerdl pull from several mirrors at once", { timeout: 120_000 }, () => {
  test("every mirror serves part of the big layer; the file equals a one-mirror pull and loads; -v names each source", async ({ relays, tempDir, reference }) => {
    // One connection each: three slots for nine ranges, so each mirror takes the next range
    // as its one slot frees (with eight each, a mirror measured fastest early could take
    // every range left: on a loaded machine one was left without a range of the big layer).
    const result = await pull(relays, tempDir, ["-v", "--connections", "1"]);
    expect(result.code).toBe(0);
    for (const relay of relays) {
      expect(relay.bytesFor(big)).toBeGreaterThan(0);
      expect(result.stderr).toContain(`dockerdl: source ${relay.url}: `);
    }
    expect(readFileSync(result.output).equals(reference)).toBe(true);
    const loaded = await podmanLoad(result.output);
    expect(loaded.images.map((i) => i.name)).toEqual([`docker.io/${REFERENCE}`]);
  });

  test("a mirror that answers 404 for the big layer is skipped for it; --json reports it and each source's bytes", async ({ relays, tempDir, reference }) => {
    relays[1].fault = (r) => (r.path.includes(`/blobs/${big}`) ? { kind: "status", status: 404 } : undefined);
    const result = await pull(relays, tempDir, ["--json"]);
    expect(result.code).toBe(0);
    expect(readFileSync(result.output).equals(reference)).toBe(true);
    expect(relays[1].bytesFor(big)).toBe(0);
    const events = result.stderr.trim().split("\n").map((line) => JSON.parse(line) as { type: string; kind?: string; source?: string; digest?: string; sources?: { name: string; bytes: number }[] });
    expect(events.filter((e) => e.type === "source")).toEqual([expect.objectContaining({ kind: "skipped", source: relays[1].url, digest: big })]);
    const done = events.find((e) => e.type === "done");
    expect(done?.sources?.map((s) => s.name)).toEqual(relays.map((r) => r.url));
    expect(events.some((e) => e.type === "progress" && e.sources !== undefined)).toBe(true);
  });

  test("--trust resolves the tag on the mirror it names, and no other is asked for the manifest", async ({ relays, tempDir, reference }) => {
    const result = await pull(relays, tempDir, ["--trust", relays[2].url]);
    expect(result.code).toBe(0);
    const manifestRequests = relays.map((r) => r.log.filter((e) => e.path.includes("/manifests/")).length);
    expect(manifestRequests[2]).toBeGreaterThan(0);
    expect(manifestRequests[0] + manifestRequests[1]).toBe(0);
    expect(readFileSync(result.output).equals(reference)).toBe(true);
  });

  test("a mirror that flips a byte in one range of the big layer is named, dropped, and the file is right", async ({ relays, tempDir, reference }) => {
    // The first mirror: the first range of the big layer (the first in the file) goes to it.
    let fired = false;
    relays[0].fault = (r) => {
      if (fired || r.method !== "GET" || !r.path.includes(`/blobs/${big}`)) return undefined;
      fired = true;
      return { kind: "corrupt", atByte: 1000 };
    };
    const result = await pull(relays, tempDir);
    expect(fired).toBe(true);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`dockerdl: warning: source ${relays[0].url} sent wrong bytes for layer ${big}`);
    expect(result.stderr).toContain(`dockerdl: warning: source ${relays[0].url} dropped: it sent wrong bytes`);
    expect(readFileSync(result.output).equals(reference)).toBe(true);
  });

  test("two mirrors of four flipping different bytes of every range are both named and dropped, never an honest one, and the file is right", async ({ registry, relays, tempDir, reference }) => {
    const fourth = await startRelay(registry.url);
    const liars = [relays[0], relays[2]];
    liars[0].fault = liesOnBig(1000);
    liars[1].fault = liesOnBig(2000);
    try {
      const result = await pull([...relays, fourth], tempDir);
      expect(result.code).toBe(0);
      for (const liar of liars) {
        expect(result.stderr).toContain(`dockerdl: warning: source ${liar.url} sent wrong bytes for layer ${big}`);
        expect(result.stderr).toContain(`dockerdl: warning: source ${liar.url} dropped: it sent wrong bytes`);
      }
      expect(result.stderr).not.toContain(`source ${relays[1].url} dropped`);
      expect(result.stderr).not.toContain(`source ${fourth.url} dropped`);
      expect(readFileSync(result.output).equals(reference)).toBe(true);
    } finally {
      await fourth.stop();
    }
  });

  test("with -o - a mirror that flips a byte is named, and the pull fails saying the stream on standard output is broken", async ({ relays, tempDir }) => {
    relays[0].fault = flipOnce();
    const stdoutFile = join(mkdtempSync(join(tempDir, "run-")), "stdout.tar");
    const result = await startCli(["pull", REFERENCE, ...mirrorArgs(relays), "--chunk-size", "1M", "-o", "-"], { cwd: tempDir, env: env(tempDir), stdoutFile }).done;
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`dockerdl: warning: source ${relays[0].url} sent wrong bytes for layer ${big}`);
    expect(result.stderr).toContain(`the tar stream on standard output is broken: layer ${big} failed its digest; source ${relays[0].url} sent wrong bytes for it`);
    expect(result.stderr).toContain(`run again without --mirror ${relays[0].url}`);
    expect(result.stderr).toContain("-o FILE");
    expect(statSync(stdoutFile).size).toBeGreaterThan(0); // out already: why the message says so
  });

  test("of two mirrors, the one flipping a byte in every range of the big layer it sends is named and dropped, the other not, and the file is right", async ({ relays, tempDir, reference }) => {
    const [liar, honest] = relays;
    liar.fault = liesOnBig();
    const result = await pull([liar, honest], tempDir);
    expect(result.code).toBe(0);
    expect(honest.bytesFor(big)).toBeGreaterThan(0);
    expect(result.stderr).toContain(`dockerdl: warning: source ${liar.url} sent wrong bytes for layer ${big}`);
    expect(result.stderr).toContain(`dockerdl: warning: source ${liar.url} dropped: it sent wrong bytes`);
    expect(result.stderr).not.toContain(`source ${honest.url} sent wrong bytes`);
    expect(result.stderr).not.toContain(`source ${honest.url} dropped`);
    expect(readFileSync(result.output).equals(reference)).toBe(true);
  });

  test("with -o - and two mirrors, one flipping a byte in every range it sends: both are named as disagreeing, neither blamed, and the pull fails", async ({ relays, tempDir }) => {
    const [liar, honest] = relays;
    liar.fault = liesOnBig();
    const stdoutFile = join(mkdtempSync(join(tempDir, "run-")), "stdout.tar");
    const result = await startCli(["pull", REFERENCE, ...mirrorArgs([liar, honest]), "--chunk-size", "1M", "-o", "-"], { cwd: tempDir, env: env(tempDir), stdoutFile }).done;
    expect(result.code).not.toBe(0);
    expect(honest.bytesFor(big)).toBeGreaterThan(0);
    expect(result.stderr).toMatch(new RegExp(`dockerdl: warning: sources (${liar.url} and ${honest.url}|${honest.url} and ${liar.url}) sent different bytes for layer ${big} \\(bytes \\d+-\\d+\\) and neither is blamed`));
    expect(result.stderr).not.toContain("sent wrong bytes");
    expect(result.stderr).toContain(`the tar stream on standard output is broken: layer ${big} failed its digest`);
    expect(result.stderr).toContain("-o FILE");
  });

  test("a mirror killed half way is left behind and the pull finishes", async ({ registry, relays, tempDir, reference }) => {
    const doomed = await startRelay(registry.url, { shaping: { perConnection: 1 << 20 } });
    for (const r of relays) r.shaping = { perConnection: 1 << 20 };
    const output = join(mkdtempSync(join(tempDir, "run-")), "multi.tar");
    const run = startCli(["pull", REFERENCE, ...mirrorArgs([doomed, ...relays]), "--chunk-size", "1M", "-o", output], { cwd: tempDir, env: env(tempDir) });
    await expect.poll(() => doomed.bytesFor(big), { timeout: 30_000, interval: 50 }).toBeGreaterThan(256 * 1024);
    await doomed.stop();
    const result = await run.done;
    expect(result.stderr).not.toContain("error");
    expect(result.code).toBe(0);
    expect(readFileSync(output).equals(reference)).toBe(true);
  });
});
