// The engine under faults, end to end: the real CLI pulls from the real registry
// through test/harness/relay.ts, which resets, truncates, corrupts, answers 5xx or 429,
// or slows the network so the download can be killed half way. Each run either
// completes with a file podman loads, or fails with a clear message and no file under
// the final name; a resumed run fetches only what was not yet safely written.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, } from "vitest";
import { pushFixtures } from "../harness/fixtures.ts";
import { test as base } from "../harness/fixtures-vitest.ts";
import { buildImage, noise } from "../harness/image-builder.ts";
import { harness } from "../harness/injected.ts";
import { podmanLoad } from "../harness/podman.ts";
import { startRelay, type Relay } from "../harness/relay.ts";
import { hostOf, runCli, startCli } from "./cli-helpers.ts";

const { username, password } = harness.basicUser;
// Random content: gzip cannot shrink it, so layer sizes are what they look like.
const image = buildImage({
  layers: [
    [{ path: "big.bin", content: noise("faults/big", 3 << 20) }],
    [{ path: "mid.bin", content: noise("faults/mid", 1 << 20) }],
    [{ path: "small.txt", content: "small\n" }],
  ],
});
const big = { digest: image.layers[0].digest, size: image.layers[0].bytes.length };
const mid = image.layers[1];
const layerBytes = image.layers.reduce((n, l) => n + l.bytes.length, 0);

const test = base.extend<{ $file: { relay: Relay } }>({
  /** The relay in front of the htpasswd registry, which holds the image above as test/faults:v1. */
  relay: [
    async ({}, use) => {
      const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
      await pushFixtures({ url: harness.basicRegistry, authorization: () => authorization }, [{ repository: "test/faults", tag: "v1", built: image }]);
      const relay = await startRelay(harness.basicRegistry);
      await use(relay);
      await relay.stop();
    },
    { scope: "file" },
  ],
});

// Each test sets the faults and shaping it wants on a relay without any.
test.beforeEach(({ relay }) => {
  relay.reset();
  relay.shaping = {};
});

function pullArgs(relay: Relay, output: string): string[] {
  return ["pull", `${hostOf(relay.url)}/test/faults:v1`, "--username", username, "--password-stdin", "--chunk-size", "1M", "-o", output];
}

/** `dockerdl pull` through the relay into a directory of its own under `workDir`. */
async function pull(relay: Relay, workDir: string): Promise<{ code: number | null; stderr: string; output: string }> {
  const output = join(mkdtempSync(join(workDir, "run-")), "faults.tar");
  const result = await runCli(pullArgs(relay, output), { cwd: workDir, stdin: password });
  return { code: result.code, stderr: result.stderr, output };
}

/** Only the first request for `digest` that matches gets the fault. */
function once(digest: string, fault: NonNullable<ReturnType<Relay["fault"]>>, when: (range?: string) => boolean = () => true): Relay["fault"] {
  let fired = false;
  return (r) => {
    if (fired || r.method !== "GET" || !r.path.includes(`/blobs/${digest}`) || !when(r.range)) return undefined;
    fired = true;
    return fault;
  };
}

async function expectLoads(relay: Relay, output: string): Promise<void> {
  const loaded = await podmanLoad(output);
  expect(loaded.images.map((i) => i.name)).toEqual([`${hostOf(relay.url)}/test/faults:v1`]);
}

const rangeStart = (range?: string) => Number(/bytes=(\d+)-/.exec(range ?? "")?.[1] ?? 0);

describe("engine faults through a relay in front of the real registry", { timeout: 60_000 }, () => {
  test("resumes a blob from where a truncated body stopped, not from the start", async ({ relay, tempDir }) => {
    relay.fault = once(big.digest, { kind: "truncate", afterBytes: 300_000 });
    const run = await pull(relay, tempDir);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const requests = relay.log.filter((e) => e.path.includes(big.digest));
    // The resumed range starts where the client's data ended: at most the 300 000 bytes
    // sent (a failing body stream may drop what it still had queued), never at 0 again.
    const resumed = requests.filter((e) => rangeStart(e.range) % (1 << 20) !== 0).map((e) => rangeStart(e.range));
    expect(resumed).toHaveLength(1);
    expect(resumed[0]).toBeGreaterThan(0);
    expect(resumed[0]).toBeLessThanOrEqual(300_000);
    expect(relay.bytesFor(big.digest)).toBe(big.size + 300_000 - resumed[0]);
    await expectLoads(relay, run.output);
  });

  test("resumes after a connection reset mid-blob with a Range from the last byte received", async ({ relay, tempDir }) => {
    relay.fault = once(big.digest, { kind: "reset", afterBytes: 500_000 });
    const run = await pull(relay, tempDir);
    expect(run.code).toBe(0);
    const resumed = relay.log.filter((e) => e.path.includes(big.digest) && rangeStart(e.range) % (1 << 20) !== 0);
    expect(resumed.length).toBe(1);
    // A reset may drop what was still in flight, never more than that one request's bytes.
    expect(relay.bytesFor(big.digest)).toBeLessThanOrEqual(big.size + 500_000);
    await expectLoads(relay, run.output);
  });

  test("gives up a body that goes quiet with its connection open (--read-timeout) and resumes it from the last byte received", async ({ relay, tempDir }) => {
    relay.fault = once(big.digest, { kind: "stall", afterBytes: 400_000 });
    const output = join(mkdtempSync(join(tempDir, "run-")), "faults.tar");
    const run = await runCli([...pullArgs(relay, output), "--read-timeout", "1"], { cwd: tempDir, stdin: password });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const resumed = relay.log.filter((e) => e.path.includes(big.digest) && rangeStart(e.range) % (1 << 20) !== 0);
    expect(resumed.map((e) => rangeStart(e.range))).toEqual([400_000]);
    expect(relay.bytesFor(big.digest)).toBe(big.size);
    await expectLoads(relay, output);
  });

  test("refetches a blob with a corrupted byte from scratch, once", async ({ relay, tempDir }) => {
    relay.fault = once(big.digest, { kind: "corrupt", atByte: 1234 }, (range) => rangeStart(range) === 0);
    const run = await pull(relay, tempDir);
    expect(run.code).toBe(0);
    expect(relay.bytesFor(big.digest)).toBe(2 * big.size);
    await expectLoads(relay, run.output);
  });

  test("fails naming a blob that arrives corrupt every time, leaving no complete-looking file", async ({ relay, tempDir }) => {
    relay.fault = (r) => (r.path.includes(`/blobs/${big.digest}`) && rangeStart(r.range) === 0 && r.method === "GET" ? { kind: "corrupt", atByte: 10 } : undefined);
    const run = await pull(relay, tempDir);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^dockerdl: error: layer ${big.digest} is corrupt: the ${big.size} bytes received hash to sha256:[0-9a-f]{64} \\(tried 2 times\\)`));
    expect(run.stderr).toMatch(/hint: .*run the same command again to resume/);
    expect(existsSync(run.output)).toBe(false);
    expect(existsSync(`${run.output}.part`)).toBe(true);
  });

  test("a resumed part file is hashed again, not taken on its state's word: a changed verified layer is fetched again", async ({ relay, tempDir }) => {
    const output = join(mkdtempSync(join(tempDir, "altered-")), "faults.tar");
    // 1: killed once the middle layer is verified (two connections, slowly: the big layer is still coming).
    relay.shaping = { aggregate: 512 << 10 };
    const killed = startCli([...pullArgs(relay, output), "--connections", "2"], { cwd: tempDir, stdin: password });
    await expect.poll(() => verifiedIn(`${output}.part.json`), { timeout: 30_000 }).toContain(mid.digest);
    killed.child.kill("SIGKILL");
    await killed.done;
    relay.shaping = {};
    // 2: a byte of that verified layer changes in the part file (a disk fault, or someone else).
    const at = alterLayerInPart(output, mid.bytes);
    // 3: the resumed run hashes it again, fetches it again, and writes the image as it is.
    const midBefore = relay.bytesFor(mid.digest);
    const resumed = await runCli(pullArgs(relay, output), { cwd: tempDir, stdin: password });
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(readFileSync(output).indexOf(mid.bytes)).toBe(at);
    expect(relay.bytesFor(mid.digest) - midBefore).toBe(mid.bytes.length);
    await expectLoads(relay, output);
  });

  test("a run that failed on a layer corrupt every time resumes: the corrupt layer, complete in the part file, is fetched again", async ({ relay, tempDir }) => {
    // 1: the big layer arrives corrupt every time; the run fails, keeping the part file
    // (the big layer whole but wrong) and a state that calls the other layers verified.
    relay.fault = (r) => (r.path.includes(`/blobs/${big.digest}`) && rangeStart(r.range) === 0 && r.method === "GET" ? { kind: "corrupt", atByte: 10 } : undefined);
    const failed = await pull(relay, tempDir);
    expect(failed.code).toBe(1);
    expect(verifiedIn(`${failed.output}.part.json`)).toContain(mid.digest);
    // And a verified layer changed since, as above.
    const at = alterLayerInPart(failed.output, mid.bytes);
    // 2: resumed without faults: both are fetched again.
    relay.fault = () => undefined;
    const before = { big: relay.bytesFor(big.digest), mid: relay.bytesFor(mid.digest) };
    const resumed = await runCli(pullArgs(relay, failed.output), { cwd: tempDir, stdin: password });
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(readFileSync(failed.output).indexOf(mid.bytes)).toBe(at);
    expect(relay.bytesFor(big.digest) - before.big).toBe(big.size);
    expect(relay.bytesFor(mid.digest) - before.mid).toBe(mid.bytes.length);
    await expectLoads(relay, failed.output);
  });

  test("completes despite a burst of 503s on the config and the layers, retrying each", async ({ relay, tempDir }) => {
    // Two on the config (the registry client's retries), four on the layers (the engine's).
    let config = 0;
    let layers = 0;
    relay.fault = (r) => {
      if (!r.path.includes("/blobs/")) return undefined;
      const first = r.path.includes(image.config.digest) ? config++ < 2 : layers++ < 4;
      return first ? { kind: "status", status: 503 } : undefined;
    };
    const run = await pull(relay, tempDir);
    expect(run.code).toBe(0);
    expect(relay.log.filter((e) => e.status === 503)).toHaveLength(6);
    await expectLoads(relay, run.output);
  });

  test("waits as long as a 429's Retry-After says, then completes", async ({ relay, tempDir }) => {
    relay.fault = once(big.digest, { kind: "status", status: 429, retryAfter: "1" });
    const started = Date.now();
    const run = await pull(relay, tempDir);
    expect(run.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    await expectLoads(relay, run.output);
  });

  test("resumes a download interrupted (Ctrl-C) and killed half way, refetching only what was not saved", async ({ relay, tempDir }) => {
    const dir = mkdtempSync(join(tempDir, "resume-"));
    const output = join(dir, "faults.tar");
    const state = `${output}.part.json`;
    relay.shaping = { aggregate: 1 << 20 }; // ~5 s for the whole image

    // 1: Ctrl-C — the CLI saves its state and says how to resume.
    const first = startCli(pullArgs(relay, output), { cwd: dir, stdin: password });
    await expect.poll(() => relay.bytesFor("/blobs/"), { timeout: 20_000 }).toBeGreaterThan(1_000_000);
    first.child.kill("SIGINT");
    const interrupted = await first.done;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/dockerdl: error: the download was cancelled/);
    expect(interrupted.stderr).toMatch(/run the same command again to resume/);
    expect(interrupted.stderr.match(/again to resume/g), "the resume advice, said once").toHaveLength(1);
    expect(existsSync(output)).toBe(false);
    const afterFirst = savedBytes(state);
    expect(afterFirst).toBeGreaterThan(0);

    // 2: killed outright — only the last checkpoint survives.
    const fetchedBefore = relay.bytesFor("/blobs/");
    const second = startCli(pullArgs(relay, output), { cwd: dir, stdin: password });
    await expect.poll(() => relay.bytesFor("/blobs/") - fetchedBefore, { timeout: 20_000 }).toBeGreaterThan(1_500_000);
    await expect.poll(() => savedBytes(state), { timeout: 20_000 }).toBeGreaterThan(afterFirst);
    second.child.kill("SIGKILL");
    await second.done;
    expect(existsSync(output)).toBe(false);
    const saved = savedBytes(state);

    // 3: completes, fetching exactly what the state did not vouch for.
    relay.shaping = {};
    const fetchedBeforeLast = relay.bytesFor("/blobs/");
    const last = await runCli(pullArgs(relay, output), { cwd: dir, stdin: password });
    expect(last.stderr).toBe("");
    expect(last.code).toBe(0);
    const configSize = image.config.bytes.length;
    expect(relay.bytesFor("/blobs/") - fetchedBeforeLast).toBe(layerBytes - saved + configSize);
    expect(readdirSync(dir)).toEqual(["faults.tar"]);
    await expectLoads(relay, output);
  });
});

/** The layers a resume state calls verified. */
function verifiedIn(stateFile: string): string[] {
  try {
    const state = JSON.parse(readFileSync(stateFile, "utf8")) as { engine: { blobs: Record<string, { verified: boolean }> } };
    return Object.entries(state.engine.blobs).filter(([, b]) => b.verified).map(([digest]) => digest);
  } catch {
    return [];
  }
}

/** Flips one byte of `layer` where it lies in `output`'s part file; returns the layer's offset. */
function alterLayerInPart(output: string, layer: Uint8Array): number {
  const part = readFileSync(`${output}.part`);
  const at = part.indexOf(layer);
  expect(at).toBeGreaterThan(0);
  part[at + 1000] ^= 0xff;
  writeFileSync(`${output}.part`, part);
  return at;
}

/** Layer bytes a resume state vouches for: verified layers whole, others as written. */
function savedBytes(stateFile: string): number {
  if (!existsSync(stateFile)) return 0;
  const state = JSON.parse(readFileSync(stateFile, "utf8")) as { engine: { blobs: Record<string, { verified: boolean; received: number[] }> } };
  return Object.entries(state.engine.blobs).reduce((n, [digest, b]) => {
    const size = image.layers.find((l) => l.digest === digest)?.bytes.length ?? 0;
    return n + (b.verified ? size : b.received.reduce((a, r) => a + r, 0));
  }, 0);
}
