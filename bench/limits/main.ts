// The limits bench (issue 23): the Worker's own CPU time for every path of the mirror,
// per GiB for the paths that move blob bytes and per request for the others, and which
// Cloudflare plan each path fits. `DOCKERDL_BENCH_SCENARIOS=limits npm run bench` runs it
// alone; it writes bench/results/worker-limits.md.
//
// Method (written into the results file too, see METHOD below):
// - The mirror runs under `wrangler dev` as the tests run it (test/harness/wrangler.ts),
//   its upstream a Hub-like registry (Debian's docker-registry with token auth, the test
//   token server), serving a bench image of two random layers (A and B, 512 MiB each at
//   scale 1). Clients ask through the mirror's public HTTP paths only; nothing of proxy/
//   is imported, so whatever the Worker does is what is measured.
// - CPU: utime + stime of the workerd process that runs the Worker (bench/limits/cpu.ts),
//   read before and after each path, with nothing else asking that process anything.
//   After a path's last byte the bench waits until that CPU stops rising and, for a cold
//   path, until the blob is in R2 (asked through wrangler's local explorer), so a fill
//   that finishes in the background is counted in the path that started it.
// - Taken out: the process's idle CPU over the same wall time, and what the local R2
//   simulator spends, which runs in the same process: a control Worker
//   (control-worker.ts) started the same way with the same R2 binding does the same R2
//   operations on the same bytes with no mirror logic (a put of the blob with its
//   sha256; the whole blob read in the mirror's 32 MiB windows; the same 16 MiB ranges),
//   measured the same way in the same run, and its figure is subtracted.
// - A fresh mirror (empty R2, new isolate, warmed up by a few small requests) per run;
//   DOCKERDL_BENCH_RUNS runs; medians reported, with the range over runs.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { get as httpGet, type IncomingMessage } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { MANIFEST_ACCEPT } from "../../shared/media-types.ts";
import { imageConfig, imageManifest } from "../../test/harness/image-pieces.ts";
import { cacheKey, inR2 } from "../../test/harness/r2-cache.ts";
import { openPusher, pushBlob, pushManifest } from "../../test/harness/registry-push.ts";
import { startRegistry, type Registry } from "../../test/harness/registry.ts";
import { startTokenServer } from "../../test/harness/token-server.ts";
import { startWorker, uncachedConfig, type RunningWorker } from "../../test/harness/wrangler.ts";
import { ensureImage, type BenchImage } from "../image.ts";
import { median, root } from "../measure.ts";
import { cpuMs, ForeignLoad, idleRate, settle, TICK_MS, waitForQuiet, workerdOf, type WorkerdProcesses } from "./cpu.ts";
import { expect, rangedGets, rangeHeader } from "./http.ts";

const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** What our CLI and PWA ask for: 16 MiB ranges (shared/engine DEFAULT_CHUNK_SIZE), 6 at a time (a browser's connections per host). */
const RANGE = 16 * MiB;
const PARALLEL = 6;
/** The mirror's R2 read window (R2_READ_WINDOW, set explicitly so the control reads the same way). */
const READ_WINDOW = 32 * MiB;
/** Requests per per-request path: enough clock ticks (10 ms each) for a per-request figure. */
const TOKENS = 100;
const MANIFESTS = 50;
/**
 * Warm reads cost little next to the R2 simulator's reads that are subtracted from them:
 * each warm path (and its control) reads the blob this many times, for more ticks.
 */
const WARM_REPEATS = 2;
/** Before each path, wait at most this long for other processes on the machine to go quiet (cpu.ts, waitForQuiet). */
const QUIET_WAIT_MS = 10_000;
const REPOSITORY = "bench/limits";

/** Cloudflare Workers CPU limits: https://developers.cloudflare.com/workers/platform/limits/#cpu-time */
const FREE_MS = 10;
const PAID_DEFAULT_MS = 30_000;
const PAID_MAX_MS = 300_000;

export interface LimitsOptions {
  scale: number;
  runs: number;
  cacheDir: string;
  outDir: string;
  /** The bench's registry (no auth); its storage is served again behind token auth. */
  registry: Registry;
}

/** One measurement of one path in one run. */
interface Sample {
  /** workerd CPU (ms) over the measurement, as read. */
  rawMs: number;
  /** The idle rate times the wall time: taken out. */
  idleMs: number;
  /** Wall time until the client had its last byte (s). */
  clientS: number;
  /** Wall time including waiting for background work to end (s). */
  wallS: number;
  bytes: number;
  requests: number;
  /** wrangler's proxy workerd's CPU (ms), not counted: for the record. */
  proxyMs: number | null;
  /** For a cold path: the blob was in R2 at the end. */
  cached?: boolean;
  /** CPU other processes on the machine used meanwhile (other sessions' tests), as a share of one CPU. */
  foreign: number;
}

const net = (s: Sample) => s.rawMs - s.idleMs;

interface Target {
  process: WorkerdProcesses;
  idle: number;
}

async function measure(target: Target, work: () => Promise<{ bytes: number; requests: number }>, wait?: { done?: () => Promise<boolean>; timeoutMs: number }): Promise<Sample> {
  const { runtime, proxy } = target.process;
  await waitForQuiet(QUIET_WAIT_MS);
  const foreign = new ForeignLoad();
  const proxy0 = proxy === null ? 0 : cpuMs(proxy);
  const cpu0 = cpuMs(runtime);
  const t0 = performance.now();
  const { bytes, requests } = await work();
  const clientS = (performance.now() - t0) / 1000;
  const settled = await settle(runtime, { idle: target.idle, timeoutMs: wait?.timeoutMs ?? 30_000, ...(wait?.done ? { done: wait.done } : {}) });
  const cpu1 = cpuMs(runtime);
  const wallS = (performance.now() - t0) / 1000;
  return {
    rawMs: cpu1 - cpu0,
    idleMs: target.idle * wallS,
    clientS,
    wallS,
    bytes,
    requests,
    proxyMs: proxy === null ? null : cpuMs(proxy) - proxy0,
    foreign: foreign.sample(),
    ...(wait?.done ? { cached: settled.done } : {}),
  };
}

/** `work` WARM_REPEATS times in a row, its bytes and requests added up. */
async function repeated(work: () => Promise<{ bytes: number; requests: number }>): Promise<{ bytes: number; requests: number }> {
  let bytes = 0;
  let requests = 0;
  for (let i = 0; i < WARM_REPEATS; i++) {
    const done = await work();
    bytes += done.bytes;
    requests += done.requests;
  }
  return { bytes, requests };
}

async function targetOf(worker: RunningWorker): Promise<Target> {
  const process = workerdOf(worker.process.child.pid!, Number(new URL(worker.url).port));
  return { process, idle: await idleRate(process.runtime, 3000) };
}

async function tokenFor(base: string): Promise<Record<string, string>> {
  const answer = await expect(`${base}/token?service=docker.io&scope=repository:${REPOSITORY}:pull`, 200, { keep: true });
  const { token } = JSON.parse(answer.text!) as { token: string };
  return { authorization: `Bearer ${token}` };
}

// ---- the bench's upstream content: the image and small manifests for the per-request paths

const sha256Of = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

interface SmallManifest {
  tag: string;
  digest: string;
}

/** `count` distinct small manifests (each its own config) over the image's layers, tagged `${prefix}0…`. */
async function pushManifests(registry: string, image: BenchImage, prefix: string, count: number): Promise<SmallManifest[]> {
  const out: SmallManifest[] = [];
  const pusher = openPusher(registry);
  for (let i = 0; i < count; i++) {
    const tag = `${prefix}${i}`;
    const config = imageConfig({ diffIds: [], config: { Labels: { bench: tag } } });
    const configDigest = sha256Of(config);
    await pushBlob(pusher, REPOSITORY, { digest: configDigest, bytes: config });
    const manifest = imageManifest("docker", { digest: configDigest, size: config.length }, image.layers);
    await pushManifest(pusher, REPOSITORY, tag, manifest.bytes, manifest.mediaType);
    out.push({ tag, digest: sha256Of(manifest.bytes) });
  }
  return out;
}

/** A wrangler config for the control Worker: the repository's compatibility settings and R2 binding, nothing else. */
function controlConfig(dir: string): string {
  const main = readFileSync(join(root, "wrangler.toml"), "utf8");
  const lines = [
    `name = "dockerdl-limits-control"`,
    `main = ${JSON.stringify(join(import.meta.dirname, "control-worker.ts"))}`,
    /^compatibility_date = .*$/m.exec(main)?.[0] ?? `compatibility_date = "2026-11-01"`,
    /^compatibility_flags = .*$/m.exec(main)?.[0] ?? "",
    "send_metrics = false",
    "",
    /\[\[r2_buckets\]\][^[]*/.exec(main)?.[0] ?? "",
  ];
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "wrangler-control.toml");
  writeFileSync(file, lines.join("\n"));
  return file;
}

// ---- the paths

type PathName =
  | "token" | "manifest-tag-cold" | "manifest-tag-warm" | "manifest-digest-cold" | "manifest-digest-warm"
  | "download-cold" | "cold-full" | "warm-full" | "warm-ranged" | "cold-ranged" | "download-warm" | "cold-full-relay" | "cold-ranged-relay";
type ControlName = "put" | "put-2" | "read-windowed" | "read-ranged" | "read-windowed-2" | "relay" | "noop" | "small-put" | "small-get" | "small-head";

class Book<K extends string> {
  readonly samples = new Map<K, Sample[]>();
  add(name: K, sample: Sample) {
    this.samples.set(name, [...(this.samples.get(name) ?? []), sample]);
  }
  get(name: K): Sample[] {
    return this.samples.get(name) ?? [];
  }
}

async function oneRun(run: number, o: LimitsOptions, upstreams: Record<string, string>, image: BenchImage, manifests: { tags: SmallManifest[]; digests: SmallManifest[]; warmup: SmallManifest }, control: RunningWorker, uncached: RunningWorker, paths: Book<PathName>, controls: Book<ControlName>): Promise<void> {
  const [a, b] = image.layers;
  const log = (name: string, s: Sample) => {
    const perGiB = s.bytes > 1e6 ? `, ${(net(s) / (s.bytes / GiB)).toFixed(0)} ms/GiB gross` : `, ${(net(s) / s.requests).toFixed(2)} ms/request gross`;
    console.log(`  ${name.padEnd(26)} ${(s.bytes / MiB).toFixed(0).padStart(6)} MiB ${String(s.requests).padStart(3)} req  ${s.clientS.toFixed(1)} s (+${(s.wallS - s.clientS).toFixed(1)} s settling)  workerd ${s.rawMs.toFixed(0)} ms${perGiB}${s.cached === undefined ? "" : s.cached ? ", in R2" : ", NOT in R2"}, others ${(s.foreign * 100).toFixed(0)}% of a CPU`);
  };
  console.log(`\nlimits run ${run + 1}/${o.runs}`);

  // The control Worker: the R2 operations alone, and the runtime's own relay. Warmed up
  // first (its first put in a run paid for more than the R2 simulator's steady cost). Each
  // control that is subtracted from a path is measured right before that path, so both
  // meet the same machine.
  const key = `run${run}-${Date.now()}`;
  const warmupBytes = "w".repeat(MiB);
  await expect(`${control.url}/put?key=${key}-warmup&sha256=${createHash("sha256").update(warmupBytes).digest("hex")}`, 201, { method: "PUT", body: warmupBytes });
  await expect(`${control.url}/get?key=${key}-warmup`, 200);
  await expect(`${control.url}/get?key=${key}-warmup&offset=0&length=1024`, 206);
  await expect(`${control.url}/relay?url=${encodeURIComponent(`${o.registry.url}/v2/`)}`, 200);
  const c = await targetOf(control);
  const record = (name: ControlName, s: Sample) => {
    controls.add(name, s);
    log(`control ${name}`, s);
  };
  const controlPut = async (name: ControlName, blob: { digest: string; size: number }) => record(name, await measure(c, async () => {
    // The blob's bytes from the registry, streamed into the control's put.
    const source = await new Promise<IncomingMessage>((resolve, reject) => {
      httpGet(`${o.registry.url}/v2/${REPOSITORY}/blobs/${blob.digest}`, resolve).on("error", reject);
    });
    await expect(`${control.url}/put?key=${key}-${blob.digest.slice(7, 19)}&sha256=${blob.digest.slice(7)}`, 201, { method: "PUT", headers: { "content-length": String(blob.size) }, body: source });
    return { bytes: blob.size, requests: 1 };
  }));
  const controlRead = (blob: { digest: string; size: number }, range: number, parallel: number) => () =>
    repeated(() => rangedGets(blob.size, range, parallel, (r) => ({ url: `${control.url}/get?key=${key}-${blob.digest.slice(7, 19)}&offset=${r.offset}&length=${r.length}`, headers: {} })));

  // The Worker without R2 (as an operator may run it): a cold read is a relay, verified when whole.
  const u = await targetOf(uncached);
  const uAuth = await tokenFor(uncached.url);
  const uncachedPath = (name: PathName, s: Sample) => {
    paths.add(name, s);
    log(name, s);
  };

  // The mirror, fresh: empty R2, a new isolate.
  const persistDir = join(o.outDir, `mirror-state-${run}`);
  const mirror = await startWorker({
    upstreams, persistDir, logDir: o.outDir, name: `wrangler-mirror-${run}`,
    vars: { RATE_LIMIT: "0", R2_READ_WINDOW: String(READ_WINDOW) },
  });
  try {
    const base = mirror.url;
    const blobUrl = (digest: string) => `${base}/v2/${REPOSITORY}/blobs/${digest}`;
    const manifestUrl = (reference: string) => `${base}/v2/${REPOSITORY}/manifests/${reference}`;
    const inCache = (digest: string) => () => inR2(base, cacheKey.blob(digest));
    // Warm-up, so that compiling the Worker's code is not charged to the first path: each kind of request once, on other content.
    let auth = await tokenFor(base);
    await expect(manifestUrl(manifests.warmup.tag), 200, { headers: { ...auth, accept: MANIFEST_ACCEPT } });
    await expect(manifestUrl(manifests.warmup.digest), 200, { headers: { ...auth, accept: MANIFEST_ACCEPT } });
    const warmupManifest = JSON.parse((await expect(manifestUrl(manifests.warmup.digest), 200, { headers: { ...auth, accept: MANIFEST_ACCEPT }, keep: true })).text!) as { config: { digest: string } };
    await expect(blobUrl(warmupManifest.config.digest), 206, { headers: { ...auth, range: "bytes=0-9" } });
    await expect(blobUrl(warmupManifest.config.digest), 200, { headers: auth });
    await expect(blobUrl(warmupManifest.config.digest), 200, { headers: auth });
    await expect(blobUrl(warmupManifest.config.digest), 206, { headers: { ...auth, range: "bytes=0-9" } });
    await sleep(2000);
    const m = await targetOf(mirror);
    const path = (name: PathName, s: Sample) => {
      paths.add(name, s);
      log(name, s);
    };

    // Per-request paths, and the controls that tell what a request and a small R2 operation cost.
    record("noop", await measure(c, async () => {
      for (let i = 0; i < TOKENS; i++) await expect(`${control.url}/noop`, 204);
      return { bytes: 0, requests: TOKENS };
    }));
    path("token", await measure(m, async () => {
      for (let i = 0; i < TOKENS; i++) await expect(`${base}/token?service=docker.io&scope=repository:${REPOSITORY}:pull`, 200);
      return { bytes: 0, requests: TOKENS };
    }));
    auth = await tokenFor(base);
    const manifestPass = (list: SmallManifest[], by: "tag" | "digest") => async () => {
      for (const entry of list) await expect(manifestUrl(entry[by]), 200, { headers: { ...auth, accept: MANIFEST_ACCEPT } });
      return { bytes: 0, requests: list.length };
    };
    path("manifest-tag-cold", await measure(m, manifestPass(manifests.tags, "tag")));
    path("manifest-tag-warm", await measure(m, manifestPass(manifests.tags, "tag")));
    path("manifest-digest-cold", await measure(m, manifestPass(manifests.digests, "digest")));
    path("manifest-digest-warm", await measure(m, manifestPass(manifests.digests, "digest")));
    const small = "x".repeat(1024);
    record("small-put", await measure(c, async () => {
      for (let i = 0; i < MANIFESTS; i++) await expect(`${control.url}/put?key=${key}-small-${i}`, 201, { method: "PUT", body: small });
      return { bytes: 0, requests: MANIFESTS };
    }));
    record("small-get", await measure(c, async () => {
      for (let i = 0; i < MANIFESTS; i++) await expect(`${control.url}/get?key=${key}-small-${i}`, 200);
      return { bytes: 0, requests: MANIFESTS };
    }));
    record("small-head", await measure(c, async () => {
      for (let i = 0; i < MANIFESTS; i++) await expect(`${control.url}/get?key=${key}-small-${i}`, 200, { method: "HEAD" });
      return { bytes: 0, requests: MANIFESTS };
    }));

    // Relays with no R2 anywhere: the runtime alone (control), the Worker without R2 (whole and ranged).
    record("relay", await measure(c, async () => {
      const answer = await expect(`${control.url}/relay?url=${encodeURIComponent(`${o.registry.url}/v2/${REPOSITORY}/blobs/${a.digest}`)}`, 200);
      return { bytes: answer.bytes, requests: 1 };
    }));
    uncachedPath("cold-full-relay", await measure(u, async () => {
      const answer = await expect(`${uncached.url}/v2/${REPOSITORY}/blobs/${a.digest}`, 200, { headers: uAuth });
      return { bytes: answer.bytes, requests: 1 };
    }));
    uncachedPath("cold-ranged-relay", await measure(u, () => rangedGets(b.size, RANGE, PARALLEL, (r) => ({ url: `${uncached.url}/v2/${REPOSITORY}/blobs/${b.digest}`, headers: { ...uAuth, range: rangeHeader(r) } }))));

    const download = async () => {
      const answer = await expect(`${base}/api/download`, 200, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ image: `${REPOSITORY}:${image.tag}`, platform: "linux/amd64" }) });
      return { bytes: answer.bytes, requests: 1 };
    };
    path("download-cold", await measure(m, download));

    const timeoutMs = Math.max(60_000, (a.size / 10e6) * 1000);
    await controlPut("put", a);
    auth = await tokenFor(base);
    path("cold-full", await measure(m, async () => {
      const answer = await expect(blobUrl(a.digest), 200, { headers: auth });
      return { bytes: answer.bytes, requests: 1 };
    }, { done: inCache(a.digest), timeoutMs }));

    record("read-windowed", await measure(c, controlRead(a, READ_WINDOW, 1)));
    auth = await tokenFor(base);
    path("warm-full", await measure(m, () => repeated(async () => {
      const answer = await expect(blobUrl(a.digest), 200, { headers: auth });
      return { bytes: answer.bytes, requests: 1 };
    })));
    record("read-ranged", await measure(c, controlRead(a, RANGE, PARALLEL)));
    path("warm-ranged", await measure(m, () => repeated(() => rangedGets(a.size, RANGE, PARALLEL, (r) => ({ url: blobUrl(a.digest), headers: { ...auth, range: rangeHeader(r) } })))));

    await controlPut("put-2", b);
    auth = await tokenFor(base);
    const coldRanged = await measure(m, () => rangedGets(b.size, RANGE, PARALLEL, (r) => ({ url: blobUrl(b.digest), headers: { ...auth, range: rangeHeader(r) } })), { done: inCache(b.digest), timeoutMs });
    path("cold-ranged", coldRanged);
    if (!coldRanged.cached) {
      // Warm /api/download needs both layers cached: a full GET caches B (not measured).
      auth = await tokenFor(base);
      await expect(blobUrl(b.digest), 200, { headers: auth });
      await settle(m.process.runtime, { idle: m.idle, done: inCache(b.digest), timeoutMs });
    }
    record("read-windowed-2", await measure(c, controlRead(b, READ_WINDOW, 1)));
    path("download-warm", await measure(m, download));
  } finally {
    await mirror.stop();
    rmSync(persistDir, { recursive: true, force: true });
  }
}

// ---- the report

function fmt(n: number, digits = 0): string {
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function planFor(ms: number): string {
  if (ms <= FREE_MS) return "Free";
  if (ms <= PAID_DEFAULT_MS) return "Paid (default 30 s)";
  if (ms <= PAID_MAX_MS) return `Paid with \`limits.cpu_ms\` ≥ ${fmt(Math.ceil(ms / 1000) * 1000)}`;
  return "**none** (over 5 min)";
}

function duration(ms: number): string {
  return ms < 1000 ? `${fmt(ms, ms < 10 ? 2 : 0)} ms` : `${fmt(ms / 1000, 1)} s`;
}

export async function runLimits(o: LimitsOptions): Promise<void> {
  const layer = Math.round(512 * MiB * o.scale);
  console.log(`\nlimits: two layers of ${(layer / MiB).toFixed(0)} MiB, ${o.runs} runs`);
  const image = await ensureImage(o.registry.url, o.cacheDir, REPOSITORY, [layer, layer]);
  const tags = await pushManifests(o.registry.url, image, "tag-", MANIFESTS);
  const digests = await pushManifests(o.registry.url, image, "digest-", MANIFESTS);
  const [warmup] = await pushManifests(o.registry.url, image, "warmup-", 1);

  // Hub-like upstream: the same storage behind token auth (bearer tokens from the test token server).
  const dir = join(o.outDir, "limits");
  mkdirSync(dir, { recursive: true });
  const tokenServer = await startTokenServer(dir);
  try {
    const hubLike = await startRegistry("limits-token", join(dir, "registry-token"), { kind: "token", realm: tokenServer.realm, certFile: tokenServer.certFile }, { storage: join(o.registry.dir, "storage") });
    const upstreams = { "docker.io": hubLike.url };
    const control = await startWorker({ upstreams, config: controlConfig(dir), persistDir: join(dir, "control-state"), logDir: dir, name: "wrangler-control" });
    const uncached = await startWorker({ upstreams, config: uncachedConfig(join(dir, "uncached")), persistDir: join(dir, "uncached-state"), logDir: dir, name: "wrangler-uncached", vars: { RATE_LIMIT: "0" } });
    const paths = new Book<PathName>();
    const controls = new Book<ControlName>();
    for (let run = 0; run < o.runs; run++) await oneRun(run, o, upstreams, image, { tags, digests, warmup }, control, uncached, paths, controls);
    const results: Results = {
      date: new Date().toISOString(), commit: codeVersion(), cpus: Number(execFileSync("nproc", { encoding: "utf8" }).trim()), scale: o.scale, runs: o.runs,
      layers: image.layers, paths: Object.fromEntries(paths.samples), controls: Object.fromEntries(controls.samples),
    };
    // Every sample, for a later comparison (e.g. before and after a change to the blob path) or a new report.
    writeFileSync(join(root, "bench", "results", "worker-limits.json"), `${JSON.stringify(results, null, 1)}\n`);
    const report = writeReport(results);
    console.log(`\n${report}\nwritten to bench/results/worker-limits.md`);
    await control.stop();
    await uncached.stop();
    await hubLike.stop();
  } finally {
    await tokenServer.stop();
  }
}

interface Row {
  name: string;
  /** Net CPU per run: raw − idle − the control's net. */
  cpu: number[];
  samples: Sample[];
  subtracted: string;
  perGiB: boolean;
}

/** What a limits run measured: written to bench/results/worker-limits.json, the report made from it. */
interface Results {
  date: string;
  commit: string;
  cpus: number;
  scale: number;
  runs: number;
  layers: { digest: string; size: number }[];
  paths: Partial<Record<PathName, Sample[]>>;
  controls: Partial<Record<ControlName, Sample[]>>;
}

/** The Worker's code as measured: the commit, and whether proxy/ or wrangler.toml had changes beyond it. */
function codeVersion(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "proxy", "wrangler.toml"], { cwd: root, encoding: "utf8" }).trim() !== "";
    return `${head}${dirty ? " (with uncommitted changes to proxy/ or wrangler.toml)" : ""}`;
  } catch {
    return "unknown";
  }
}

/**
 * Writes bench/results/worker-limits.md from a run's results; `DOCKERDL_BENCH_LIMITS_REPORT=<json>
 * npm run bench` makes it again from a saved worker-limits.json, without measuring.
 */
export function writeReport(results: Results): string {
  const paths = { get: (name: PathName) => results.paths[name] ?? [] };
  const controls = { get: (name: ControlName) => results.controls[name] ?? [] };
  /** The control's CPU for `bytes` of what it did in run `run`: its net CPU per byte times them. */
  const controlFor = (name: ControlName, run: number, bytes: number) => {
    const s = controls.get(name)[run];
    return (net(s) / s.bytes) * bytes;
  };
  const rows: Row[] = [];
  const row = (name: PathName, label: string, subtract: ((run: number, s: Sample) => number) | null, subtracted: string, perGiB: boolean) => {
    const samples = paths.get(name);
    rows.push({ name: label, samples, cpu: samples.map((s, run) => net(s) - (subtract ? subtract(run, s) : 0)), subtracted, perGiB });
  };
  const layers = results.layers.length;
  row("cold-full", "cold full GET (docker-style, no Range)", (run, s) => controlFor("put", run, s.bytes), "idle; control put of the blob (sha256)", true);
  row("cold-ranged", `cold ranged GETs (${RANGE / MiB} MiB, ${PARALLEL} at a time) + background fill`, (run, s) => (s.cached ? controlFor("put-2", run, s.bytes) : 0), "idle; control put of the blob when the fill completed", true);
  row("cold-full-relay", "cold full GET, Worker without R2 (relay and verification, nothing stored)", null, "idle", true);
  row("cold-ranged-relay", "cold ranged GETs, Worker without R2 (relay only)", null, "idle", true);
  row("warm-full", "warm full GET", (run, s) => controlFor("read-windowed", run, s.bytes), `idle; control reads of the blob in ${READ_WINDOW / MiB} MiB windows`, true);
  row("warm-ranged", `warm ranged GETs (${RANGE / MiB} MiB, ${PARALLEL} at a time)`, (run, s) => controlFor("read-ranged", run, s.bytes), "idle; control reads of the same ranges", true);
  row("download-cold", `/api/download cold (${layers} layers)`, null, "idle", true);
  row("download-warm", `/api/download warm (${layers} layers)`, (run, s) => controlFor("read-windowed-2", run, s.bytes), `idle; control reads of every layer in ${READ_WINDOW / MiB} MiB windows`, true);
  row("manifest-tag-cold", "manifest GET by tag, cold", null, "idle", false);
  row("manifest-tag-warm", "manifest GET by tag, warm", null, "idle", false);
  row("manifest-digest-cold", "manifest GET by digest, cold", null, "idle", false);
  row("manifest-digest-warm", "manifest GET by digest, warm", null, "idle", false);
  row("token", "/token (GET, anonymous, one scope)", null, "idle", false);

  const med = (values: number[]) => median(values);
  const rangeOf = (values: number[], digits: number) => (values.length > 1 ? ` (${fmt(Math.min(...values), digits)}–${fmt(Math.max(...values), digits)})` : "");
  const figure = (r: Row) => {
    const s = r.samples;
    const bytes = med(s.map((x) => x.bytes));
    const units = s.map((x) => (r.perGiB ? x.bytes / GiB : x.requests));
    const per = r.cpu.map((c, i) => c / units[i]);
    // How far the per-unit figure can be off: half its spread over runs, and never less than
    // the clock's resolution (a tick at each end of the path's reading and of its control's).
    const noise = Math.max((Math.max(...per) - Math.min(...per)) / 2, (4 * TICK_MS) / med(units));
    return { bytes, requests: med(s.map((x) => x.requests)), client: med(s.map((x) => x.clientS)), wall: med(s.map((x) => x.wallS)), raw: med(s.map((x) => x.rawMs)), cpu: med(r.cpu), per: med(per), perAll: per, noise, proxy: s.every((x) => x.proxyMs !== null) ? med(s.map((x) => x.proxyMs!)) : null, foreign: Math.max(...s.map((x) => x.foreign)), cached: s.filter((x) => x.cached !== undefined).map((x) => x.cached) };
  };
  const byName = new Map(rows.map((r) => [r.name, figure(r)]));
  const f = (label: string) => byName.get(rows.find((r) => r.name.startsWith(label))!.name)!;

  const lines: string[] = [
    `# Worker CPU per path, against Cloudflare's plan limits — ${results.date}`,
    "",
    `Written by \`DOCKERDL_BENCH_SCENARIOS=limits npm run bench\` (bench/limits/), issue 23. Worker code at ${results.commit}; scale ${results.scale}`,
    `(two layers of ${fmt(results.layers[0].size / MiB)} MiB), ${results.runs} run${results.runs === 1 ? "" : "s"}, medians (range over runs in brackets); ${results.cpus} CPUs, workerd as \`wrangler dev\` runs it.`,
    "Every sample is in worker-limits.json beside this file.",
    "",
    "## Method",
    "",
    "- **What runs.** The mirror under `wrangler dev`, started as the tests start it (test/harness/wrangler.ts), a fresh one per run (empty",
    "  local R2, new isolate, warmed up by one request of each kind on other content). Its upstream is Hub-like: Debian's docker-registry",
    "  with token auth and the test token server, on loopback. The client (node:http, bodies drained) asks only the mirror's public HTTP",
    "  paths, with a bearer token from the mirror's `/token`, as docker does. Nothing of proxy/ is imported: whatever the Worker does is",
    "  what is measured, so the bench can be re-run unchanged after the blob path changes.",
    "- **What is read.** utime + stime of the workerd process that runs the Worker (`/proc/<pid>/stat`, every thread, 10 ms ticks), before",
    "  and after each path, with nothing else asking that process anything. `wrangler dev` runs two workerd processes; the other one only",
    "  forwards requests from the public port (its CPU is listed for the record, never counted). After a path's last byte the bench waits",
    "  until that CPU has not risen for 1.5 s and, for a cold blob path, until the blob is in R2 (asked through wrangler's local",
    "  explorer, at most once a second): a cache fill that finishes in the background (`waitUntil`) is counted in the path that started it.",
    "- **What is taken out.** (1) The process's idle CPU rate (measured for 3 s before each run's paths) times the path's wall time.",
    "  (2) The local R2 simulator, a Durable Object inside that same workerd process: a control Worker (bench/limits/control-worker.ts),",
    "  started the same way with the same R2 binding, does the same R2 operations on the same bytes with no mirror logic — `put(key,",
    "  request.body, {sha256})` of the blob for the cold paths, `get` of the blob in the mirror's 32 MiB windows (R2_READ_WINDOW, set",
    "  explicitly) for warm full reads, `get` of the same 16 MiB ranges for warm ranged reads — measured the same way in the same run; its",
    "  CPU (less its own idle) is subtracted, per byte; each such control runs right before its path, so both meet the same machine. The",
    "  per-request paths (manifests, token) touch R2 with a few small operations each; those are not subtracted (the controls below list",
    "  what one costs, and what a request that does nothing costs).",
    `- **Other load.** This machine may be shared (other sessions' test runs). Before each path the bench waits up to ${QUIET_WAIT_MS / 1000} s for processes`,
    "  outside its own tree to use under 15% of a CPU, and records what they used during the path (\"other load\", in % of one CPU; the",
    "  highest over the runs): a path measured beside a busy neighbour costs workerd more CPU, and its bytes arrive in other chunk sizes.",
    `- **Warm reads** cost little next to the R2 reads subtracted from them, so each warm path and its control read the blob ${WARM_REPEATS} times.`,
    `- **Ranged reads** are what our CLI and PWA send: ${RANGE / MiB} MiB ranges (shared/engine's default chunk), ${PARALLEL} at a time, covering the blob.`,
    "  A cold ranged read also starts the mirror's background fill of the whole blob; the same ranges through a second Worker without an",
    "  R2 binding (uncached, as an operator may run it) give the relay alone, and the difference is the fill. A full GET through that",
    "  Worker gives a floor for the cold full GET that needs no subtraction: the same relay and verification, nothing stored.",
    `- **Per request.** Byte paths are figured per GiB and multiplied out to a request's size; the per-request paths run ${TOKENS} (token) or`,
    `  ${MANIFESTS} (each manifest path) requests in a row and divide. Plans: Free ${FREE_MS} ms of CPU per request; Paid ${PAID_DEFAULT_MS / 1000} s by default,`,
    `  raised with \`limits.cpu_ms\` up to ${PAID_MAX_MS / 60_000} min (https://developers.cloudflare.com/workers/platform/limits/#cpu-time). CPU in \`waitUntil\` counts to`,
    "  the request that started it.",
    "",
    "## Figures",
    "",
    "| path | bytes to client | requests | wall, client (s) | wall, with background (s) | workerd CPU, raw (ms) | Worker CPU, net (ms) | net CPU per GiB / per request | taken out | other load (max) | notes |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |",
  ];
  for (const r of rows) {
    const x = byName.get(r.name)!;
    const notes: string[] = [];
    if (x.cached.length > 0) notes.push(x.cached.every(Boolean) ? "blob in R2 after every run" : `blob in R2 after ${x.cached.filter(Boolean).length} of ${x.cached.length} runs`);
    if (x.proxy !== null) notes.push(`wrangler's proxy workerd: ${fmt(x.proxy)} ms (not counted)`);
    const per = r.perGiB ? `${fmt(x.per)} ms/GiB${rangeOf(x.perAll, 0)}` : `${fmt(x.per, 2)} ms/request${rangeOf(x.perAll, 2)}`;
    lines.push(`| ${r.name} | ${r.perGiB ? `${fmt(x.bytes / MiB)} MiB` : "—"} | ${fmt(x.requests)} | ${fmt(x.client, 1)} | ${fmt(x.wall, 1)} | ${fmt(x.raw)} | ${fmt(x.cpu)} | ${per} | ${r.subtracted} | ${fmt(x.foreign * 100)}% | ${notes.join("; ")} |`);
  }

  // The fill alone: cold ranged (with fill) minus the relay alone, per GiB of the blob.
  const coldRanged = f("cold ranged GETs (");
  const relayOnly = f("cold ranged GETs, Worker without R2");
  const fill = { per: coldRanged.per - relayOnly.per, noise: coldRanged.noise + relayOnly.noise };
  const bare = median(controls.get("noop").map((x) => net(x) / x.requests));
  const GB20 = 20e9 / GiB;
  const FREE = "Free (10 ms)";
  const PAID = "Paid default (30 s)";
  /** One request: its CPU, how far off it may be, the issue's target, and whether it is one request (a bare request's cost applies). */
  const ext: { label: string; ms: number; noise: number; target: string }[] = [];
  const scaled = (label: string, x: { per: number; noise: number }, units: number, target: string) => ext.push({ label, ms: x.per * units, noise: x.noise * units, target });
  const cold = f("cold full GET");
  const warm = f("warm full GET");
  scaled("cold full GET of a 4 GiB blob", cold, 4, FREE);
  scaled("cold full GET of a 20 GB blob", cold, GB20, PAID);
  scaled("cold full GET of a 4 GiB blob, Worker without R2 (a floor: the relay and verification alone, no subtraction)", f("cold full GET, Worker without R2"), 4, FREE);
  scaled("cold full GET of a 20 GB blob, Worker without R2 (the same floor)", f("cold full GET, Worker without R2"), GB20, PAID);
  scaled("warm full GET of a 4 GiB blob", warm, 4, FREE);
  scaled("warm full GET of a 20 GB blob", warm, GB20, FREE);
  scaled(`warm ranged GET, one ${RANGE / MiB} MiB range`, f("warm ranged GETs"), RANGE / GiB, FREE);
  scaled(`cold ranged GET, one ${RANGE / MiB} MiB range (the relay alone)`, relayOnly, RANGE / GiB, PAID);
  scaled("cold ranged: the background fill of a 4 GiB blob (charged to what runs it: the `waitUntil` of the request that started it, or a Durable Object)", fill, 4, PAID);
  scaled("cold ranged: the background fill of a 20 GB blob", fill, GB20, PAID);
  scaled("/api/download of a 20 GB image, cold", f("/api/download cold"), GB20, PAID);
  scaled("/api/download of a 20 GB image, warm", f("/api/download warm"), GB20, PAID);
  for (const label of ["manifest GET by tag, cold", "manifest GET by tag, warm", "manifest GET by digest, cold", "manifest GET by digest, warm", "/token"]) scaled(label, f(label), 1, PAID);
  const limitOf = (target: string) => (target === FREE ? FREE_MS : PAID_DEFAULT_MS);
  /** The plan the request fits, or the two it may fit when the limit between them lies within the noise. */
  const fits = (ms: number, noise: number) => {
    const limits = [FREE_MS, PAID_DEFAULT_MS, PAID_MAX_MS];
    const names = ["Free", "Paid (default 30 s)", "Paid with `limits.cpu_ms` raised", "none (over 5 min)"];
    for (const [i, limit] of limits.entries()) {
      if (ms + noise <= limit) return planFor(ms + noise);
      if (ms - noise <= limit) return `${names[i]} or ${names[i + 1]} (${duration(Math.max(0, ms - noise))}–${duration(ms + noise)})`;
    }
    return planFor(ms);
  };
  const met = (ms: number, noise: number, target: string) => {
    const limit = limitOf(target);
    if (ms + noise <= limit) return "✅ met";
    if (ms - noise > limit) return `❌ ${fmt(ms / limit, 1)}× over`;
    return "❔ within the noise of the limit";
  };
  lines.push(
    "",
    "## What one request needs, and which plan it fits",
    "",
    "Net CPU per GiB multiplied out to the request's size (a straight line: a byte path's fixed cost per request is a few ms, see the",
    "manifest and token rows). ± is how far the figure may be off: half its spread over the runs, at least the clock's resolution.",
    `"Less a bare request" takes out what \`wrangler dev\` spends on any request before the Worker runs (${duration(bare)}, the control's`,
    "no-op request; on Cloudflare that part is not the Worker's). The issue's targets: warm GETs and ranged GETs of any size and a cold GET",
    "up to 4 GiB within Free; everything else within Paid's default for a 20 GB image.",
    "",
    "| request | Worker CPU | ± | less a bare request | fits | issue's target | target met |",
    "| --- | ---: | ---: | ---: | --- | --- | --- |",
    ...ext.map((e) => `| ${e.label} | ${duration(e.ms)} | ${duration(e.noise)} | ${duration(e.ms - bare)} | ${fits(e.ms, e.noise)} | ${e.target} | ${met(e.ms, e.noise, e.target)} |`),
    "",
    "The steadiest figures are those that need no subtraction (the Worker without R2, /api/download cold, the per-request paths). The",
    "cold cached paths subtract an R2 put that costs the local simulator more than the Worker's own work, so their net figures move with",
    `the machine's load (see "other load" above)${Math.abs(warm.per) <= warm.noise ? "; the warm full GET's is within its noise of zero" : ""}.`,
    "",
    "Largest single request each plan allows, from the upper end of each figure (net CPU per GiB plus its ±): cold full GET",
    `${sizeWithin(cold)}; the same without R2 (the floor) ${sizeWithin(f("cold full GET, Worker without R2"))}; warm full GET ${sizeWithin(warm)};`,
    `/api/download cold ${sizeWithin(f("/api/download cold"))}; warm ${sizeWithin(f("/api/download warm"))}; a background fill ${sizeWithin(fill)}.`,
  );

  const controlRow = (name: ControlName, label: string) => {
    const s = controls.get(name);
    const netMs = s.map(net);
    const bytes = med(s.map((x) => x.bytes));
    const per = bytes > 0 ? `${fmt(med(netMs.map((c, i) => c / (s[i].bytes / GiB))))} ms/GiB` : `${fmt(med(netMs.map((c, i) => c / s[i].requests)), 2)} ms/operation`;
    return `| ${label} | ${bytes > 0 ? `${fmt(bytes / MiB)} MiB` : `${fmt(med(s.map((x) => x.requests)))} ops`} | ${fmt(med(s.map((x) => x.clientS)), 1)} | ${fmt(med(netMs))}${rangeOf(netMs, 0)} | ${per} | ${fmt(Math.max(...s.map((x) => x.foreign)) * 100)}% |`;
  };
  lines.push(
    "",
    "## Controls (the control Worker, same process set-up, no mirror logic)",
    "",
    "| operation | bytes | wall (s) | CPU, net of idle (ms) | per GiB / per op | other load (max) |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    controlRow("put", "R2 `put` of blob A with its sha256, body from the client (before the cold full GET)"),
    controlRow("put-2", "R2 `put` of blob B with its sha256, body from the client (before the cold ranged GETs)"),
    controlRow("read-windowed", `R2 \`get\` of blob A in ${READ_WINDOW / MiB} MiB windows, ${WARM_REPEATS} times (before the warm full GET)`),
    controlRow("read-ranged", `R2 \`get\` of blob A's ${RANGE / MiB} MiB ranges, ${PARALLEL} at a time, ${WARM_REPEATS} times (before the warm ranged GETs)`),
    controlRow("read-windowed-2", `R2 \`get\` of blob B in ${READ_WINDOW / MiB} MiB windows, ${WARM_REPEATS} times (before the warm /api/download)`),
    controlRow("relay", "`fetch` of the blob upstream, its body returned as is (no R2): the runtime's own byte moving"),
    controlRow("noop", "a request answered 204 with nothing done: `wrangler dev`'s cost of a request"),
    controlRow("small-put", "R2 `put` of 1 KiB"),
    controlRow("small-get", "R2 `get` of 1 KiB"),
    controlRow("small-head", "R2 `head`"),
    "",
    "## What the figure includes, and what it excludes",
    "",
    "Includes, besides the Worker's JavaScript (parsing, auth, hashing, the loops that move chunks, stream plumbing):",
    "- the runtime's own work for the Worker: its socket I/O in and out (HTTP parsing, copying buffers to and from the kernel, the",
    "  kernel's side of it), native stream piping, and the subrequests' I/O. Cloudflare bills CPU time of the isolate's thread and says",
    "  waiting on I/O does not count; a body returned as is streams outside the isolate. The \"relay\" control shows what this runtime",
    "  spends moving bytes with no JavaScript at all: that much of each byte path's figure is likely not billed. **The figures are an",
    "  upper bound** of what Cloudflare would count.",
    "- workerd's own machinery for a request in `wrangler dev` (its entry worker, local dispatch), and the local explorer queries the",
    "  bench makes while it waits for a fill (a few per cold path).",
    "- For the manifest and token paths, the R2 simulator's small operations (see the controls: each costs about as much as listed).",
    "",
    "Excludes:",
    "- the R2 simulator's work for the blob bytes (measured by the control Worker and subtracted; on Cloudflare R2 runs elsewhere and its",
    "  sha256 check is R2's), the idle CPU of the process, wrangler's proxy workerd and wrangler's Node process, the registry, the token",
    "  server and the client.",
    "- Start-up: each run's Worker is warmed up first, so compiling the Worker's code is not in any path (Cloudflare limits start-up",
    "  separately).",
    "",
    "Caveats: 10 ms clock ticks (every measurement spans hundreds of them or more); on this 2-CPU machine the client, the registry and",
    "workerd share the cores, which changes wall times more than CPU times; subtracting a control is an estimate (the same operation on",
    "the same bytes, in another process of the same build), so a small net figure can come out a little below zero.",
    "",
  );
  const text = lines.join("\n");
  mkdirSync(join(root, "bench", "results"), { recursive: true });
  writeFileSync(join(root, "bench", "results", "worker-limits.md"), text);
  return text;
}

/** The largest request each plan allows at `perGiB` ms of CPU per GiB. */
function sizeWithin(figure: { per: number; noise: number }): string {
  const perGiB = figure.per + figure.noise;
  if (perGiB <= 0) return "any size (no measurable CPU per GiB)";
  const size = (ms: number) => {
    const gib = ms / perGiB;
    return gib >= 1 ? `${fmt(gib, 1)} GiB` : `${fmt(gib * 1024, gib * 1024 < 10 ? 1 : 0)} MiB`;
  };
  return `Free ${size(FREE_MS)}, Paid default ${size(PAID_DEFAULT_MS)}, Paid max ${size(PAID_MAX_MS)}`;
}
