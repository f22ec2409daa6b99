// `npm run bench`'s multi-source cases (issue #29): one layer (640 MiB at scale 1) pulled
// by the CLI from three mirrors at once, each a relay capped at 10 MB/s in all in front
// of the bench registry. Three cases against what the caps allow: all three sources
// (the goal: at least 0.9 of 30 MB/s); one killed half way (the goal: under 10 % over
// half the bytes at 30 MB/s and half at 20); one flipping a byte in a range (named,
// dropped, the file the same as the clean run's); one answering 404 for the layer
// (skipped; against 20 MB/s).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Registry } from "../test/harness/registry.ts";
import { startRelay, type Relay } from "../test/harness/relay.ts";
import { ensureImage } from "./image.ts";
import { compiledCli } from "./measure.ts";

const MiB = 2 ** 20;
const CAP = 10e6;

export interface MultiRow {
  scenario: string;
  image: string;
  tool: string;
  seconds: number;
  mbps: number;
  note: string;
}

interface Pulled {
  seconds: number;
  stderr: string;
  sha256: string;
}

export async function runMultiSource(o: { scale: number; outDir: string; cacheDir: string; registry: Registry }): Promise<MultiRow[]> {
  const image = await ensureImage(o.registry.url, o.cacheDir, "bench/multi", [Math.round(640 * MiB * o.scale)]);
  const mb = image.layerBytes / 1e6;
  const ref = `${image.repository}:${image.tag}`;
  const relays: Relay[] = await Promise.all([0, 1, 2].map(() => startRelay(o.registry.url, { shaping: { aggregate: CAP } })));
  const scenario = "three mirrors, each capped at 10 MB/s";
  const label = `${image.repository.replace("bench/", "")} (1 × ${(image.layerBytes / MiB).toFixed(0)} MiB)`;
  const rows: MultiRow[] = [];
  const row = (tool: string, p: Pulled, ideal: number, extra = "") => {
    rows.push({ scenario, image: label, tool, seconds: p.seconds, mbps: mb / p.seconds, note: `${(ideal / p.seconds).toFixed(2)} of the ideal ${ideal.toFixed(1)} s${extra}` });
    console.log(`  ${tool}: ${p.seconds.toFixed(2)} s, ${(mb / p.seconds).toFixed(1)} MB/s, ${(ideal / p.seconds).toFixed(2)} of the ideal${extra}`);
  };
  console.log(`\n${scenario} — ${label}`);
  try {
    const clean = await pull(o.outDir, ref, relays);
    row("dockerdl, all three", clean, image.layerBytes / (3 * CAP));

    const doomed = await startRelay(o.registry.url, { shaping: { aggregate: CAP } });
    const stopping = setTimeout(() => void doomed.stop(), (clean.seconds * 1000) / 2);
    const killed = await pull(o.outDir, ref, [relays[0], relays[1], doomed]).finally(() => clearTimeout(stopping));
    await doomed.stop().catch(() => {});
    const half = image.layerBytes / 2;
    row("dockerdl, one killed half way", killed, half / (3 * CAP) + half / (2 * CAP), same(killed, clean));

    let fired = false;
    relays[2].fault = (r) => {
      if (fired || r.method !== "GET" || !r.path.includes("/blobs/")) return undefined;
      fired = true;
      return { kind: "corrupt", atByte: 1000 };
    };
    const lied = await pull(o.outDir, ref, relays);
    relays[2].reset();
    const named = lied.stderr.includes(`source ${relays[2].url} sent wrong bytes`) ? ", the liar named and dropped" : ", THE LIAR WAS NOT NAMED";
    row("dockerdl, one flipping a byte", lied, image.layerBytes / (3 * CAP), `${named}${same(lied, clean)}`);

    relays[1].fault = (r) => (r.path.includes("/blobs/") ? { kind: "status", status: 404 } : undefined);
    const missing = await pull(o.outDir, ref, relays);
    relays[1].reset();
    const skipped = missing.stderr.includes(`source ${relays[1].url} skipped`) ? ", skipped" : ", NOT SKIPPED";
    row("dockerdl, one without the layer (404)", missing, image.layerBytes / (2 * CAP), `${skipped}${same(missing, clean)}`);
  } finally {
    await Promise.all(relays.map((r) => r.stop()));
  }
  return rows;
}

function same(p: Pulled, clean: Pulled): string {
  return p.sha256 === clean.sha256 ? ", file identical" : ", FILE DIFFERS";
}

/** The compiled CLI from `relays` (no registry), timed; the file's SHA-256, then the file removed. */
async function pull(outDir: string, ref: string, relays: readonly Relay[]): Promise<Pulled> {
  const out = join(outDir, "multi.tar");
  const cli = await compiledCli(outDir);
  const args = [cli, "pull", ref, "--no-direct", ...relays.flatMap((r) => ["--mirror", r.url]), "--chunk-size", "4M", "-o", out];
  const started = performance.now();
  try {
    const { stderr } = await promisify(execFile)(process.execPath, args, { cwd: outDir, maxBuffer: 1 << 24, env: { ...process.env, DOCKERDL_MIRRORS: "", XDG_CONFIG_HOME: join(outDir, "no-config") } });
    const seconds = (performance.now() - started) / 1000;
    return { seconds, stderr, sha256: await fileHash(out) };
  } catch (error) {
    throw new Error(`dockerdl ${args.slice(1).join(" ")} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  } finally {
    for (const f of [out, `${out}.part`, `${out}.part.json`]) rmSync(f, { force: true });
  }
}

async function fileHash(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
