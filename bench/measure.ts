// How `npm run bench` times each tool: a command under /usr/bin/time for its peak RSS
// (of the largest process in its tree) with the wall time taken here; dockerdl's CLI
// as users install it (compiled by scripts/build-cli.ts, once per run), skopeo, the
// verified-write floor (bench/floor.ts), plain curl of the blobs to /dev/null (a
// reference: no write, no hash), and the CLI's start-up time.
import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { buildCli } from "../scripts/build-cli.ts";
import type { BenchImage } from "./image.ts";

export const run = promisify(execFile);
export const root = join(import.meta.dirname, "..");
let compiled: Promise<string> | undefined;
/** The installable CLI, built into this run's folder the first time it is asked for. */
export function compiledCli(outDir: string): Promise<string> {
  compiled ??= buildCli(join(outDir, "cli")).then((dir) => join(dir, "dockerdl.mjs"));
  return compiled;
}

export interface Measurement {
  seconds: number;
  peakRssMiB: number;
}

/** Runs a command under /usr/bin/time for its peak RSS; the wall time is measured here. */
export async function measure(outDir: string, command: string, args: string[]): Promise<Measurement> {
  const timeFile = join(outDir, "time.txt");
  const started = performance.now();
  try {
    await run("/usr/bin/time", ["-f", "%M", "-o", timeFile, command, ...args], { cwd: outDir, maxBuffer: 1 << 24 });
  } catch (error) {
    throw new Error(`${command} ${args.join(" ")} failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const kib = Number(readFileSync(timeFile, "utf8").trim().split("\n").at(-1));
  return { seconds, peakRssMiB: kib / 1024 };
}

/** dockerdl's CLI, as `npm install -g` of the packed CLI runs it. */
export async function ours(outDir: string, ref: string, extra: string[]): Promise<Measurement> {
  const out = join(outDir, "ours.tar");
  const cli = await compiledCli(outDir);
  try {
    return await measure(outDir, process.execPath, [cli, "pull", ref, "-q", "-o", out, ...extra]);
  } finally {
    rmSync(out, { force: true });
    rmSync(`${out}.part`, { force: true });
    rmSync(`${out}.part.json`, { force: true });
  }
}

export async function skopeo(outDir: string, ref: string): Promise<Measurement> {
  const out = join(outDir, "skopeo.tar");
  try {
    return await measure(outDir, "skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${ref}`, `docker-archive:${out}`]);
  } finally {
    rmSync(out, { force: true });
  }
}

/** A reference, not a floor a verifying downloader can reach: each blob fetched by plain curl into /dev/null, one after another. */
export async function curlFloor(outDir: string, base: string, image: BenchImage): Promise<Measurement> {
  const urls = image.layers.map((l) => `${base}/v2/${image.repository}/blobs/${l.digest}`);
  return measure(outDir, "curl", ["-sSf", "--parallel-max", "1", ...urls.flatMap((u) => ["-o", "/dev/null", u])]);
}

/**
 * The verified-write floor: every blob fetched by curl into a file while node:crypto
 * hashes the same bytes, all blobs at once (bench/floor.ts).
 */
export async function verifiedFloor(outDir: string, base: string, image: BenchImage): Promise<Measurement> {
  const blobs = image.layers.map((l) => `${base}/v2/${image.repository}/blobs/${l.digest}=${l.digest}`);
  return measure(outDir, process.execPath, [join(root, "bench", "floor.ts"), outDir, ...blobs]);
}

/**
 * `dockerdl --version` from process start to exit (median of `times`). A CLI without
 * --version yet is timed with --help, and says so.
 */
export async function startTime(outDir: string, times: number): Promise<{ seconds: number; peakRssMiB: number; flag: string }> {
  const cli = await compiledCli(outDir);
  const flag = await run(process.execPath, [cli, "--version"]).then(() => "--version", () => "--help");
  const all: Measurement[] = [];
  for (let i = 0; i < times; i++) all.push(await measure(outDir, process.execPath, [cli, flag]));
  return { seconds: median(all.map((m) => m.seconds)), peakRssMiB: Math.max(...all.map((m) => m.peakRssMiB)), flag };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
