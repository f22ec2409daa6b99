// `npm run bench`: dockerdl's CLI against `skopeo copy docker://… docker-archive:…` (the
// tool a user would pick instead), in the same run and alternating, on the same
// images: over loopback straight to the registry, through the Worker under wrangler
// dev, and through a relay that simulates a real network (per-connection cap, latency,
// aggregate cap). Plain sequential curl of the same blobs is the I/O floor. Prints a
// markdown table and writes it to bench/results/latest.md. Not part of npm test.
//
// Environment: DOCKERDL_BENCH_SCALE (default 1: 1 GiB in 8 layers + one 2 GiB layer;
// 0.125 gives 128 MiB + 256 MiB), DOCKERDL_BENCH_RUNS (alternations, default 2),
// DOCKERDL_BENCH_CACHE (default bench/.cache: layers and registry storage, reused),
// DOCKERDL_BENCH_NET="perConnMBps,aggregateMBps,latencyMs" (default 10,50,20),
// DOCKERDL_BENCH_SCENARIOS (comma list of direct,worker,network; default all).
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stopAll } from "../test/harness/processes.ts";
import { startRegistry } from "../test/harness/registry.ts";
import { startRelay } from "../test/harness/relay.ts";
import { startWorker } from "../test/harness/wrangler.ts";
import { ensureImage, type BenchImage } from "./image.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const MiB = 2 ** 20;
const scale = Number(process.env.DOCKERDL_BENCH_SCALE ?? "1");
const runs = Number(process.env.DOCKERDL_BENCH_RUNS ?? "2");
const cacheDir = process.env.DOCKERDL_BENCH_CACHE ?? join(root, "bench", ".cache");
const [perConnMBps, aggregateMBps, latencyMs] = (process.env.DOCKERDL_BENCH_NET ?? "10,50,20").split(",").map(Number);
const scenarios = new Set((process.env.DOCKERDL_BENCH_SCENARIOS ?? "direct,worker,network").split(","));

interface Measurement {
  seconds: number;
  peakRssMiB: number;
}

interface Row {
  scenario: string;
  image: string;
  tool: string;
  seconds: number;
  mbps: number;
  rss?: number;
  note?: string;
}

if (process.argv.includes("--scale")) process.exit(await (await import("./scale/main.ts")).runScale(process.argv.slice(2)));

const outDir = mkdtempSync(join(tmpdir(), "dockerdl-bench-"));

/** Runs a command under /usr/bin/time for its peak RSS; the wall time is measured here. */
async function measure(command: string, args: string[]): Promise<Measurement> {
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

async function ours(ref: string, extra: string[]): Promise<Measurement> {
  const out = join(outDir, "ours.tar");
  try {
    return await measure(process.execPath, ["--no-warnings", join(root, "cli", "main.ts"), "pull", ref, "-q", "-o", out, ...extra]);
  } finally {
    rmSync(out, { force: true });
    rmSync(`${out}.part`, { force: true });
    rmSync(`${out}.part.json`, { force: true });
  }
}

async function skopeo(ref: string): Promise<Measurement> {
  const out = join(outDir, "skopeo.tar");
  try {
    return await measure("skopeo", ["copy", "--quiet", "--src-tls-verify=false", `docker://${ref}`, `docker-archive:${out}`]);
  } finally {
    rmSync(out, { force: true });
  }
}

/** The floor: each blob fetched by plain curl, one after another. */
async function curlFloor(base: string, image: BenchImage): Promise<Measurement> {
  const urls = image.layers.map((l) => `${base}/v2/${image.repository}/blobs/${l.digest}`);
  return measure("curl", ["-sSf", "--parallel-max", "1", ...urls.flatMap((u) => ["-o", "/dev/null", u])]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  mkdirSync(cacheDir, { recursive: true });
  console.log(`dockerdl bench: scale ${scale}, ${runs} alternating runs, cache ${cacheDir}`);
  const registry = await startRegistry("bench", join(cacheDir, "registry"), { kind: "none" });
  const images = [
    await ensureImage(registry.url, cacheDir, "bench/layers8", Array.from({ length: 8 }, () => Math.round(128 * MiB * scale))),
    await ensureImage(registry.url, cacheDir, "bench/single", [Math.round(2048 * MiB * scale)]),
  ];
  const rows: Row[] = [];
  const paths: { scenario: string; base: string; ref: (image: BenchImage) => string; extra: string[]; skopeoRef: (image: BenchImage) => string }[] = [];
  const registryHost = new URL(registry.url).host;
  if (scenarios.has("direct")) {
    paths.push({ scenario: "loopback, direct", base: registry.url, ref: (i) => `${registryHost}/${i.repository}:${i.tag}`, extra: [], skopeoRef: (i) => `${registryHost}/${i.repository}:${i.tag}` });
  }
  if (scenarios.has("worker")) {
    const worker = await startWorker({ upstreams: { "docker.io": registry.url }, persistDir: join(outDir, "wrangler-state"), logDir: outDir, vars: { RATE_LIMIT: "0" } });
    const host = new URL(worker.url).host;
    paths.push({ scenario: "loopback, via Worker (wrangler dev)", base: worker.url, ref: (i) => `${i.repository}:${i.tag}`, extra: ["--proxy", worker.url], skopeoRef: (i) => `${host}/${i.repository}:${i.tag}` });
  }
  if (scenarios.has("network")) {
    const relay = await startRelay(registry.url, { shaping: { perConnection: perConnMBps * 1e6, aggregate: aggregateMBps * 1e6, latencyMs } });
    const host = new URL(relay.url).host;
    paths.push({
      scenario: `simulated network (${perConnMBps} MB/s per connection, ${aggregateMBps} MB/s total, +${latencyMs} ms)`,
      base: relay.url, ref: (i) => `${host}/${i.repository}:${i.tag}`, extra: [], skopeoRef: (i) => `${host}/${i.repository}:${i.tag}`,
    });
  }

  for (const path of paths) {
    for (const image of images) {
      const label = `${image.repository.replace("bench/", "")} (${image.layers.length} × ${(image.layers[0].size / MiB).toFixed(0)} MiB)`;
      const mb = image.layerBytes / 1e6;
      console.log(`\n${path.scenario} — ${label}`);
      // curl first: through the Worker it also warms the cache, so both tools meet the same state.
      const floor = await curlFloor(path.base, image);
      console.log(`  curl      ${floor.seconds.toFixed(2)} s`);
      const times: Record<"dockerdl" | "skopeo", Measurement[]> = { dockerdl: [], skopeo: [] };
      for (let r = 0; r < runs; r++) {
        const order = r % 2 === 0 ? (["dockerdl", "skopeo"] as const) : (["skopeo", "dockerdl"] as const);
        for (const tool of order) {
          const m = tool === "dockerdl" ? await ours(path.ref(image), path.extra) : await skopeo(path.skopeoRef(image));
          times[tool].push(m);
          console.log(`  ${tool.padEnd(9)} ${m.seconds.toFixed(2)} s  ${(mb / m.seconds).toFixed(1)} MB/s  RSS ${m.peakRssMiB.toFixed(0)} MiB`);
        }
      }
      const summary = (tool: "dockerdl" | "skopeo"): Row => {
        const seconds = median(times[tool].map((m) => m.seconds));
        return { scenario: path.scenario, image: label, tool, seconds, mbps: mb / seconds, rss: Math.max(...times[tool].map((m) => m.peakRssMiB)) };
      };
      const o = summary("dockerdl");
      const s = summary("skopeo");
      o.note = `${(o.mbps / s.mbps).toFixed(2)}× skopeo`;
      if (path.base.includes(new URL(path.base).host) && path.scenario.startsWith("simulated")) o.note += `, ${(o.mbps / aggregateMBps).toFixed(2)} of the aggregate cap`;
      rows.push(o, s, { scenario: path.scenario, image: label, tool: path.scenario.includes("Worker") ? "curl (sequential floor; first pass, fills the Worker cache)" : "curl (sequential floor)", seconds: floor.seconds, mbps: mb / floor.seconds });
    }
  }

  const table = [
    `# dockerdl bench — ${new Date().toISOString()}`,
    "",
    `Scale ${scale} (layer bytes as listed), ${runs} alternating runs per tool (median time, max RSS), skopeo ${(await run("skopeo", ["--version"])).stdout.trim().split(" ").at(-1)}, Node ${process.version}, ${(await run("nproc")).stdout.trim()} CPUs.`,
    "MB/s = layer bytes / wall time (10^6 bytes). Ratio = dockerdl MB/s / skopeo MB/s.",
    "",
    "| path | image | tool | time (s) | MB/s | peak RSS (MiB) | notes |",
    "| --- | --- | --- | ---: | ---: | ---: | --- |",
    ...rows.map((r) => `| ${r.scenario} | ${r.image} | ${r.tool} | ${r.seconds.toFixed(2)} | ${r.mbps.toFixed(1)} | ${r.rss === undefined ? "" : r.rss.toFixed(0)} | ${r.note ?? ""} |`),
    "",
  ].join("\n");
  mkdirSync(join(root, "bench", "results"), { recursive: true });
  writeFileSync(join(root, "bench", "results", "latest.md"), table);
  console.log(`\n${table}`);
  console.log("written to bench/results/latest.md");
}

try {
  await main();
} finally {
  await stopAll();
  rmSync(outDir, { recursive: true, force: true });
}
