// `npm run bench`: dockerdl's CLI against `skopeo copy docker://… docker-archive:…` (the
// tool a user would pick instead), in the same run and alternating, on the same
// images: over loopback straight to the registry, through the Worker under wrangler
// dev (with the PWA in headless Chromium beside the CLI, and the browser's floor:
// bench/browser-floor.ts), through a relay that
// simulates a real network (per-connection cap, latency, aggregate cap), and many small
// layers through the relay at a high latency. The floor is the verified-write floor
// (bench/floor.ts: curl into files while node:crypto hashes the same bytes, blobs in
// parallel), what a downloader that writes and verifies can reach; plain sequential
// curl into /dev/null stays as a reference row. Also times `dockerdl --version`. Prints a markdown table and writes
// it to bench/results/latest.md. Not part of npm test.
//
// Environment: DOCKERDL_BENCH_SCALE (default 1: 1 GiB in 8 layers and one 2 GiB layer,
// through the Worker also one of 640 MiB; 0.125 gives an eighth of each; the 75 layers
// stay 5 MiB), DOCKERDL_BENCH_RUNS (alternations,
// default 2), DOCKERDL_BENCH_CACHE (default bench/.cache: layers and registry storage,
// reused), DOCKERDL_BENCH_NET="perConnMBps,aggregateMBps,latencyMs" (default 10,50,20),
// DOCKERDL_BENCH_LATENCY="perConnMBps,aggregateMBps,oneWayMs" (default 10,50,100),
// DOCKERDL_BENCH_SCENARIOS (comma list of direct,worker,browser,network,latency,multi,start,limits;
// default all; browser runs with worker; multi: one layer from three capped mirrors at
// once, clean, one killed, one lying, one without the layer — bench/multi-source.ts). `limits` measures the Worker's own CPU per path
// against Cloudflare's plan limits and writes bench/results/worker-limits.md instead
// (bench/limits/main.ts; two layers of 512 MiB at scale 1, DOCKERDL_BENCH_RUNS fresh runs);
// DOCKERDL_BENCH_LIMITS_REPORT=bench/results/worker-limits.json only writes that report again.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopAll } from "../test/harness/processes.ts";
import { startRegistry } from "../test/harness/registry.ts";
import { startRelay } from "../test/harness/relay.ts";
import { startWorker } from "../test/harness/wrangler.ts";
import { browserDownload, type BrowserMeasurement } from "./browser.ts";
import { browserFloor } from "./browser-floor.ts";
import { ensureImage, type BenchImage } from "./image.ts";
import { runLimits } from "./limits/main.ts";
import { curlFloor, median, ours, root, run, skopeo, startTime, verifiedFloor, type Measurement } from "./measure.ts";
import { runMultiSource } from "./multi-source.ts";

const MiB = 2 ** 20;
const scale = Number(process.env.DOCKERDL_BENCH_SCALE ?? "1");
const runs = Number(process.env.DOCKERDL_BENCH_RUNS ?? "2");
const cacheDir = process.env.DOCKERDL_BENCH_CACHE ?? join(root, "bench", ".cache");
const [perConnMBps, aggregateMBps, latencyMs] = (process.env.DOCKERDL_BENCH_NET ?? "10,50,20").split(",").map(Number);
const [farPerConnMBps, farAggregateMBps, oneWayMs] = (process.env.DOCKERDL_BENCH_LATENCY ?? "10,50,100").split(",").map(Number);
const scenarios = new Set((process.env.DOCKERDL_BENCH_SCENARIOS ?? "direct,worker,browser,network,latency,multi,start,limits").split(","));
/** Scenarios that compare tools and write bench/results/latest.md. */
const COMPARED = ["direct", "worker", "browser", "network", "latency", "multi", "start"];

interface Row {
  scenario: string;
  image: string;
  tool: string;
  seconds: number;
  mbps: number;
  rss?: number;
  /** The verified-write floor's time on this path and image. */
  floor?: number;
  note?: string;
}

if (process.argv.includes("--scale")) process.exit(await (await import("./scale/main.ts")).runScale(process.argv.slice(2)));
if (process.env.DOCKERDL_BENCH_LIMITS_REPORT) {
  // Only the limits report, made again from a saved worker-limits.json (no measuring).
  const { writeReport } = await import("./limits/main.ts");
  console.log(writeReport(JSON.parse(readFileSync(process.env.DOCKERDL_BENCH_LIMITS_REPORT, "utf8"))));
  process.exit(0);
}

interface Path {
  scenario: string;
  base: string;
  ref: (image: BenchImage) => string;
  extra: string[];
  skopeoRef: (image: BenchImage) => string;
  /** The Worker's URL when the PWA runs on this path too. */
  pwa?: string;
  /** Notes about the CLI's figures on this path. */
  judge?: (image: BenchImage, seconds: number) => string;
  /** Read the blobs once, untimed, before the floor: it must not be the one to pay for a cold page cache. */
  warmFloor?: boolean;
  /** Images measured on this path besides the common ones. */
  moreImages?: BenchImage[];
}

const outDir = mkdtempSync(join(tmpdir(), "dockerdl-bench-"));
const rows: Row[] = [];

function label(image: BenchImage): string {
  return `${image.repository.replace("bench/", "")} (${image.layers.length} × ${(image.layers[0].size / MiB).toFixed(0)} MiB)`;
}

/** dockerdl and skopeo alternating (and the PWA after them on the Worker's path); rows of medians. */
async function compare(path: Path, image: BenchImage, floors?: { verified: Measurement; curl: Measurement }): Promise<void> {
  const mb = image.layerBytes / 1e6;
  const times: Record<"dockerdl" | "skopeo", Measurement[]> = { dockerdl: [], skopeo: [] };
  const pwa: BrowserMeasurement[] = [];
  const pageFloor: number[] = [];
  const pageFetch: number[] = [];
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? (["dockerdl", "skopeo"] as const) : (["skopeo", "dockerdl"] as const);
    for (const tool of order) {
      const m = tool === "dockerdl" ? await ours(outDir, path.ref(image), path.extra) : await skopeo(outDir, path.skopeoRef(image));
      times[tool].push(m);
      console.log(`  ${tool.padEnd(9)} ${m.seconds.toFixed(2)} s  ${(mb / m.seconds).toFixed(1)} MB/s  RSS ${m.peakRssMiB.toFixed(0)} MiB`);
    }
    if (path.pwa !== undefined) {
      const b = await browserDownload(path.pwa, `${image.repository}:${image.tag}`);
      pwa.push(b);
      console.log(`  PWA       ${b.seconds.toFixed(2)} s  ${(mb / b.seconds).toFixed(1)} MB/s  JS heap page ${b.pageHeapMiB.toFixed(1)} MiB, worker ${b.workerHeapMiB.toFixed(1)} MiB, ${b.held.bodies} ranges read whole, ${b.held.stalled} read back after a stall`);
      const f = await browserFloor(path.pwa, image);
      pageFloor.push(f);
      console.log(`  browser floor ${f.toFixed(2)} s  ${(mb / f).toFixed(1)} MB/s`);
      const c = await browserFloor(path.pwa, image, "fetch");
      pageFetch.push(c);
      console.log(`  browser fetch only ${c.toFixed(2)} s  ${(mb / c).toFixed(1)} MB/s`);
    }
  }
  const summary = (tool: "dockerdl" | "skopeo"): Row => {
    const seconds = median(times[tool].map((m) => m.seconds));
    return { scenario: path.scenario, image: label(image), tool, seconds, mbps: mb / seconds, rss: Math.max(...times[tool].map((m) => m.peakRssMiB)) };
  };
  const o = summary("dockerdl");
  const s = summary("skopeo");
  const notes = [`${(o.mbps / s.mbps).toFixed(2)}× skopeo`];
  if (floors !== undefined) {
    o.floor = floors.verified.seconds;
    s.floor = floors.verified.seconds;
    notes.push(`${(floors.verified.seconds / o.seconds).toFixed(2)} of the verified-write floor`);
    s.note = `${(floors.verified.seconds / s.seconds).toFixed(2)} of the verified-write floor`;
  }
  if (path.judge) notes.push(path.judge(image, o.seconds));
  o.note = notes.join(", ");
  rows.push(o, s);
  if (pwa.length > 0) {
    const seconds = median(pwa.map((b) => b.seconds));
    const page = Math.max(...pwa.map((b) => b.pageHeapMiB));
    const worker = Math.max(...pwa.map((b) => b.workerHeapMiB));
    const floor = median(pageFloor);
    const held = pwa.map((b) => b.held.bodies).join(" and ");
    const stalled = pwa.reduce((n, b) => n + b.held.stalled, 0);
    rows.push({
      scenario: path.scenario, image: label(image), tool: "PWA (headless Chromium, File System Access → OPFS)", seconds, mbps: mb / seconds,
      note: `${(mb / seconds / o.mbps).toFixed(2)} of the CLI via the Worker, ${(floor / seconds).toFixed(2)} of the browser floor; peak JS heap: page ${page.toFixed(1)} MiB, download worker ${worker.toFixed(1)} MiB; ranges read whole: ${held}, of which ${stalled} stalled when read back for hashing and were read another way`,
    });
    rows.push({
      scenario: path.scenario, image: label(image), tool: "browser floor (64 MiB ranges read whole into Blobs, five at once → File System Access ‖ hash-wasm SHA-256 on a worker)", seconds: floor, mbps: mb / floor,
      note: `${(mb / floor / o.mbps).toFixed(2)} of the CLI via the Worker`,
    });
    const fetchOnly = median(pageFetch);
    rows.push({
      scenario: path.scenario, image: label(image), tool: "browser fetch only (reference: the same ranges read whole into Blobs, five at once, let go: no write, no hash)", seconds: fetchOnly, mbps: mb / fetchOnly,
      note: `${(mb / fetchOnly / o.mbps).toFixed(2)} of the CLI via the Worker`,
    });
  }
  if (floors !== undefined) {
    const { verified, curl } = floors;
    rows.push({
      scenario: path.scenario, image: label(image), tool: "verified-write floor (curl into files ‖ node:crypto SHA-256, blobs in parallel)",
      seconds: verified.seconds, mbps: mb / verified.seconds, rss: verified.peakRssMiB, floor: verified.seconds,
    });
    rows.push({
      scenario: path.scenario, image: label(image),
      tool: path.scenario.includes("Worker") ? "curl -o /dev/null (reference; first pass, fills the Worker cache)" : "curl -o /dev/null (reference: no write, no hash)",
      seconds: curl.seconds, mbps: mb / curl.seconds,
    });
  }
}

async function main(): Promise<void> {
  mkdirSync(cacheDir, { recursive: true });
  console.log(`dockerdl bench: scale ${scale}, ${runs} alternating runs, cache ${cacheDir}`);
  const registry = await startRegistry("bench", join(cacheDir, "registry"), { kind: "none" });
  if (scenarios.has("limits")) await runLimits({ scale, runs, cacheDir, outDir, registry });
  if (!COMPARED.some((s) => scenarios.has(s))) return;
  // Built only for the scenarios that compare tools on them (multi and latency have their own).
  const images = ["direct", "worker", "browser", "network"].some((s) => scenarios.has(s)) ? [
    await ensureImage(registry.url, cacheDir, "bench/layers8", Array.from({ length: 8 }, () => Math.round(128 * MiB * scale))),
    await ensureImage(registry.url, cacheDir, "bench/single", [Math.round(2048 * MiB * scale)]),
  ] : [];
  const paths: Path[] = [];
  const registryHost = new URL(registry.url).host;
  if (scenarios.has("direct")) {
    paths.push({
      scenario: "loopback, direct", base: registry.url, ref: (i) => `${registryHost}/${i.repository}:${i.tag}`, extra: [], skopeoRef: (i) => `${registryHost}/${i.repository}:${i.tag}`,
      warmFloor: true,
    });
  }
  if (scenarios.has("worker") || scenarios.has("browser")) {
    const worker = await startWorker({ upstreams: { "docker.io": registry.url }, persistDir: join(outDir, "wrangler-state"), logDir: outDir, vars: { RATE_LIMIT: "0" } });
    const host = new URL(worker.url).host;
    paths.push({
      scenario: "loopback, via Worker (wrangler dev)", base: worker.url, ref: (i) => `${i.repository}:${i.tag}`, extra: ["--proxy", worker.url], skopeoRef: (i) => `${host}/${i.repository}:${i.tag}`,
      ...(scenarios.has("browser") ? { pwa: worker.url } : {}),
      // One big layer: the CLI's ranged requests (each a windowed R2 read) against skopeo's one stream.
      moreImages: [await ensureImage(registry.url, cacheDir, "bench/single640", [Math.round(640 * MiB * scale)])],
    });
  }
  if (scenarios.has("network")) {
    const relay = await startRelay(registry.url, { shaping: { perConnection: perConnMBps * 1e6, aggregate: aggregateMBps * 1e6, latencyMs } });
    const host = new URL(relay.url).host;
    paths.push({
      scenario: `simulated network (${perConnMBps} MB/s per connection, ${aggregateMBps} MB/s total, +${latencyMs} ms)`,
      base: relay.url, ref: (i) => `${host}/${i.repository}:${i.tag}`, extra: [], skopeoRef: (i) => `${host}/${i.repository}:${i.tag}`,
      judge: (image, seconds) => `${(image.layerBytes / 1e6 / seconds / aggregateMBps).toFixed(2)} of the aggregate cap`,
    });
  }

  for (const path of paths) {
    for (const image of [...images, ...(path.moreImages ?? [])]) {
      console.log(`\n${path.scenario} — ${label(image)}`);
      // curl first: through the Worker it also warms the cache, so both tools (and the
      // floor) meet the same state. Straight from the registry, after a run that evicted
      // the images from the page cache (the scale run), a cold first read made the floor
      // 2.8-3.4x slower than a warm one.
      if (path.warmFloor) await curlFloor(outDir, path.base, image);
      const curl = await curlFloor(outDir, path.base, image);
      const verified = await verifiedFloor(outDir, path.base, image);
      console.log(`  curl -o /dev/null ${curl.seconds.toFixed(2)} s, verified-write floor ${verified.seconds.toFixed(2)} s`);
      await compare(path, image, { verified, curl });
    }
  }

  if (scenarios.has("latency")) await manySmallLayers(registry.url);
  if (scenarios.has("multi")) rows.push(...(await runMultiSource({ scale, outDir, cacheDir, registry })));
  const start = scenarios.has("start") ? await startTime(outDir, 5) : undefined;
  if (start) console.log(`\ndockerdl ${start.flag}: ${(start.seconds * 1000).toFixed(0)} ms`);

  const table = [
    `# dockerdl bench — ${new Date().toISOString()}`,
    "",
    `Scale ${scale} (layer bytes as listed), ${runs} alternating runs per tool (median time, max RSS), skopeo ${(await run("skopeo", ["--version"])).stdout.trim().split(" ").at(-1)}, Node ${process.version}, ${(await run("nproc")).stdout.trim()} CPUs.`,
    "MB/s = layer bytes / wall time (10^6 bytes). Ratio = dockerdl MB/s / skopeo MB/s. dockerdl runs as the installed CLI (compiled, `npm run build:cli`); the PWA is timed from the click on Download to the job's end.",
    "",
    "The verified-write floor: the same blobs fetched by curl into files while node:crypto's SHA-256 hashes the same bytes, blobs in parallel (bench/floor.ts); \"x of the verified-write floor\" = floor time / tool time. `curl -o /dev/null` neither writes nor hashes: a reference no verifying downloader can reach.",
    "",
    "| path | image | tool | time (s) | MB/s | peak RSS (MiB) | floor (s) | notes |",
    "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |",
    ...rows.map((r) => `| ${r.scenario} | ${r.image} | ${r.tool} | ${r.seconds.toFixed(2)} | ${r.mbps.toFixed(1)} | ${r.rss === undefined ? "" : r.rss.toFixed(0)} | ${r.floor === undefined ? "" : r.floor.toFixed(2)} | ${r.note ?? ""} |`),
    ...(start ? ["", `\`dockerdl ${start.flag}\` (process start to exit, median of 5): ${(start.seconds * 1000).toFixed(0)} ms, peak RSS ${start.peakRssMiB.toFixed(0)} MiB.`] : []),
    "",
  ].join("\n");
  mkdirSync(join(root, "bench", "results"), { recursive: true });
  writeFileSync(join(root, "bench", "results", "latest.md"), table);
  console.log(`\n${table}`);
  console.log("written to bench/results/latest.md");
}

/**
 * 75 layers of 5 MiB through the relay at a high latency: what a typical large image
 * costs from far away. The ideal is its bytes at the aggregate cap plus 4 round trips
 * (token, manifest, config, first blob); every request and new connection costs a round trip.
 */
async function manySmallLayers(registry: string): Promise<void> {
  const image = await ensureImage(registry, cacheDir, "bench/layers75", Array.from({ length: 75 }, () => 5 * MiB));
  const rtt = (2 * oneWayMs) / 1000;
  const relay = await startRelay(registry, { shaping: { perConnection: farPerConnMBps * 1e6, aggregate: farAggregateMBps * 1e6, latencyMs: 2 * oneWayMs, connectMs: 2 * oneWayMs } });
  const host = new URL(relay.url).host;
  const ideal = image.layerBytes / (farAggregateMBps * 1e6) + 4 * rtt;
  const path: Path = {
    scenario: `far network (${farPerConnMBps} MB/s per connection, ${farAggregateMBps} MB/s total, ${oneWayMs} ms one way)`,
    base: relay.url, ref: (i) => `${host}/${i.repository}:${i.tag}`, extra: [], skopeoRef: (i) => `${host}/${i.repository}:${i.tag}`,
    judge: (_image, seconds) => `${(seconds / ideal).toFixed(2)}× the ideal ${ideal.toFixed(1)} s (bytes ÷ aggregate cap + 4 round trips)`,
  };
  console.log(`\n${path.scenario} — ${label(image)}`);
  await compare(path, image);
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await stopAll();
  rmSync(outDir, { recursive: true, force: true });
}
// Exit now: some handle left open (its esbuild service child was still there) kept a
// finished run alive for over an hour after it wrote its results.
process.exit(failed ? 1 : 0);
