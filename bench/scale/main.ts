// `npm run bench -- --scale`: one image of at least 12 GiB of layer bytes, with an
// uncompressed layer over 9 GiB, through every path dockerdl offers: (1) the CLI
// straight from the registry, (2) the CLI through the Worker under wrangler dev on a
// cold cache (R2 multipart past 5 GiB) and again warm, (3) the PWA in headless
// Chromium through File System Access, reloaded once mid-layer and resumed, and
// (4) curl of /api/download. The first file is proven (GNU tar, Python's tarfile, the
// big layer's digest, skopeo); every other must hash the same. One output exists at a
// time. Results go to bench/results/scale.md; everything made is deleted, even on
// failure or Ctrl-C. Not part of npm test.
//
// Options: --scale-size=GiB (or DOCKERDL_SCALE_GIB; default 12.25: a 9.25 GiB layer and
// three of 1 GiB) to try the whole path small first; DOCKERDL_SCALE_DIR (default the
// system temp folder) is where the registry, R2 and the outputs live;
// DOCKERDL_SCALE_RESULTS another results file than bench/results/scale.md;
// --steps=worker,api,browser (default all) runs only those paths after (1), which always
// runs: its file is the one proven, and every other output must hash the same. The
// browser then meets a cold cache unless worker ran, and the report says which ran.
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopAll } from "../../test/harness/processes.ts";
import { cacheKey, missingFromR2 } from "../../test/harness/r2-cache.ts";
import { startRegistry } from "../../test/harness/registry.ts";
import { waitUntil } from "../../test/harness/net.ts";
import { startWorker } from "../../test/harness/wrangler.ts";
import { browserPull } from "./browser-pull.ts";
import { buildScaleImage } from "./build-image.ts";
import { proveArchive, sha256File, timeoutFor, type Proof } from "./prove.ts";
import { cliPull, curlApiDownload, type Timed } from "./pulls.ts";
import { writeReport, type Row } from "./report.ts";
import { diskUsage, freeBytes, groupRss, sample } from "./samplers.ts";

const GiB = 2 ** 30;
const root = join(import.meta.dirname, "..", "..");

function option(argv: string[], name: string): string | undefined {
  const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes("=") ? argv[i].slice(name.length + 1) : argv[i + 1];
}

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const gb = (n: number) => `${(n / 1e9).toFixed(1)} GB`;

export async function runScale(argv: string[]): Promise<number> {
  const gib = Number(option(argv, "--scale-size") ?? process.env.DOCKERDL_SCALE_GIB ?? "12.25");
  if (!(gib > 0.01)) throw new Error("--scale-size takes the GiB of layer bytes, e.g. --scale-size=1");
  const allSteps = ["worker", "api", "browser"];
  const steps = new Set((option(argv, "--steps") ?? allSteps.join(",")).split(",").filter(Boolean));
  const unknown = [...steps].filter((x) => !allSteps.includes(x));
  if (unknown.length > 0) throw new Error(`--steps takes some of ${allSteps.join(",")}; not ${unknown.join(",")}`);
  const partial = steps.size < allSteps.length ? [...steps].join(",") : undefined;
  const layerTarget = Math.round(gib * GiB);
  const bigFile = Math.round((layerTarget * 9.25) / 12.25);
  const smallFile = Math.round((layerTarget - bigFile) / 3);
  const parent = process.env.DOCKERDL_SCALE_DIR ?? tmpdir();
  // The registry's copy, R2's copy, and the browser's file with Chromium's hidden copy
  // of it; the skopeo check of the first file (its OCI copy) fits in the browser's share.
  const need = 4 * layerTarget + 2 * GiB;
  const free0 = freeBytes(parent);
  log(`scale run: ${gib} GiB of layers (one of ${(bigFile / GiB).toFixed(2)} GiB), needs about ${gb(need)} free in ${parent}; ${gb(free0)} free`);
  if (free0 < need) {
    console.error(`Not enough disk space: the scale run needs about ${gb(need)} free in ${parent} and there is ${gb(free0)}. Free some space, set DOCKERDL_SCALE_DIR to a bigger disk, or try a smaller --scale-size.`);
    return 1;
  }
  const workDir = mkdtempSync(join(parent, "dockerdl-scale-"));
  const cleanUp = () => rmSync(workDir, { recursive: true, force: true });
  process.once("exit", cleanUp);
  // Chromium's profile (with the OPFS file) and skopeo's temporary files land here too.
  process.env.TMPDIR = workDir;
  const ours = sample(() => diskUsage(workDir), 2000);
  const fsDrop = sample(() => free0 - freeBytes(parent), 2000);
  const file = process.env.DOCKERDL_SCALE_RESULTS ?? join(root, "bench", "results", "scale.md");
  // Rewritten after every step, so a run cut short still leaves what it measured.
  const rows: Row[] = new Proxy<Row[]>([], {
    set(target, key, value) {
      Reflect.set(target, key, value);
      if (key === "length") writeReport(file, { gib, steps: partial, rows: target, proof, minutes: (Date.now() - started) / 60_000, diskPeak: ours.highest(), fsDrop: fsDrop.highest(), need, running: true });
      return true;
    },
  });
  const started = Date.now();
  let failure: unknown;
  let proof: Proof | undefined;
  try {
    const registry = await startRegistry("scale", join(workDir, "registry"), { kind: "none" });
    log("building the image in the registry's storage…");
    let t = performance.now();
    const image = await buildScaleImage(registry.url, join(workDir, "registry", "storage"), "scale/big", bigFile, [smallFile, smallFile, smallFile]);
    const buildSeconds = (performance.now() - t) / 1000;
    rows.push({ path: "build + store in the registry", bytes: image.layerBytes, seconds: buildSeconds, memory: "", disk: ours.peak() });
    log(`built ${image.layers.length} layers, ${(image.layerBytes / GiB).toFixed(2)} GiB, big layer ${image.big.digest} (${image.big.size} bytes) in ${buildSeconds.toFixed(0)} s`);

    const outputs = join(workDir, "out");
    mkdirSync(outputs);
    let expected: { sha256: string; size: number } | undefined;
    /** Hashes `file`, checks it against the first output, and deletes it. */
    const settle = async (file: string): Promise<string> => {
      const size = statSync(file).size;
      const sha256 = await sha256File(file);
      rmSync(file, { force: true });
      if (!expected) expected = { sha256, size };
      else if (sha256 !== expected.sha256 || size !== expected.size) throw new Error(`${file} (${size} bytes, ${sha256}) differs from the first output (${expected.size} bytes, ${expected.sha256})`);
      return sha256;
    };
    const cliRow = (path: string, m: Timed, sha256: string, note = ""): Row => ({
      path, bytes: expected!.size, seconds: m.seconds, memory: `CLI ${mib(m.peakRss)}`, disk: ours.peak(), note: `${note}${note ? "; " : ""}${sha256.slice(0, 19)}…`,
    });

    // (1) straight from the registry, named as through the Worker (a Docker Hub name, the
    // registry as its mirror) so the file's RepoTags, and so its bytes, are the same.
    const proxied = `${image.repository}:${image.tag}`;
    let out = join(outputs, "direct.tar");
    log("(1) CLI straight from the registry…");
    ours.reset();
    let m = await cliPull(proxied, out, image.layerBytes, workDir, registry.url);
    log(`    ${m.seconds.toFixed(0)} s; proving the file…`);
    t = performance.now();
    proof = await proveArchive(out, image.big, workDir);
    log(`    proven in ${((performance.now() - t) / 1000).toFixed(0)} s: ${proof.members} members, PAX size ${proof.paxSize}`);
    rows.push(cliRow("(1) CLI, straight from the registry (as its mirror)", m, await settle(out), "proven: GNU tar, tarfile + PAX size, big layer sha256, skopeo"));

    // (2) through the Worker, cold then warm
    const vars: Record<string, string> = { RATE_LIMIT: "0" };
    // Below full size, a lower single-put limit still sends the big layer through multipart.
    if (image.big.size <= 5 * GiB) vars.R2_SINGLE_PUT_LIMIT = String(Math.max(5 << 20, Math.floor(image.big.size / 2 / 2 ** 20) * 2 ** 20));
    const worker = await startWorker({ upstreams: { "docker.io": registry.url }, persistDir: join(workDir, "wrangler-state"), logDir: workDir, vars });
    const workerRss = sample(() => groupRss(worker.process.child.pid!), 1000);
    const workerRow = (row: Row): Row => ({ ...row, memory: `${row.memory}${row.memory ? ", " : ""}Worker ${mib(workerRss.peak())}` });
    if (steps.has("worker")) {
      out = join(outputs, "worker-cold.tar");
      log("(2) CLI through the Worker, cold cache…");
      ours.reset();
      workerRss.reset();
      t = performance.now();
      m = await cliPull(proxied, out, image.layerBytes, workDir, worker.url);
      log(`    ${m.seconds.toFixed(0)} s; waiting for the Worker to finish filling R2…`);
      rows.push(workerRow(cliRow("(2a) CLI via Worker, cold cache", m, await settle(out))));
      const keys = [...image.layers.map((l) => cacheKey.blob(l.digest))];
      await waitUntil(async () => (await missingFromR2(worker.url, keys)).length === 0, timeoutFor(image.layerBytes * 3),
        () => `the Worker did not store every layer in R2 (missing: ${keys.join(", ")})`, 2000);
      const fillSeconds = (performance.now() - t) / 1000;
      rows.push(workerRow({ path: "(2a′) … until every layer is in R2 (multipart for the big one)", bytes: image.layerBytes, seconds: fillSeconds, memory: "", disk: ours.peak() }));
      log(`    R2 holds every layer after ${fillSeconds.toFixed(0)} s`);

      out = join(outputs, "worker-warm.tar");
      log("(2b) CLI through the Worker, warm cache…");
      ours.reset();
      workerRss.reset();
      m = await cliPull(proxied, out, image.layerBytes, workDir, worker.url);
      rows.push(workerRow(cliRow("(2b) CLI via Worker, warm cache", m, await settle(out))));
      log(`    ${m.seconds.toFixed(0)} s`);
    }

    // (4) /api/download with curl
    if (steps.has("api")) {
      out = join(outputs, "api.tar");
      log("(4) curl /api/download…");
      ours.reset();
      workerRss.reset();
      m = await curlApiDownload(worker.url, proxied, out, image.layerBytes, workDir);
      rows.push(workerRow({ path: "(4) curl /api/download (the Worker streams the layers from R2)", bytes: expected!.size, seconds: m.seconds, memory: "", disk: ours.peak(), note: `${(await settle(out)).slice(0, 19)}…` }));
      log(`    ${m.seconds.toFixed(0)} s`);
    }
    // (3) the browser, through the same Worker, reloaded mid-layer
    if (steps.has("browser")) {
      log("(3) Chromium, File System Access, through the Worker, reloaded once…");
      ours.reset();
      workerRss.reset();
      // Last, and not fatal to the rest: the longest and most fragile path.
      try {
        const b = await browserPull(worker.url, image, expected!.size, log);
        if (b.sha256 !== expected!.sha256) throw new Error(`the browser's file hashes to ${b.sha256}, not ${expected!.sha256}`);
        rows.push(workerRow({
          path: "(3) Chromium, File System Access via Worker, reloaded + resumed", bytes: expected!.size, seconds: b.seconds,
          memory: `JS heap: page ${mib(b.heap.page)}, workers ${mib(b.heap.workers)}`, disk: ours.peak(),
          note: `reloaded at ${(b.committedAtReload / GiB).toFixed(2)} GiB of the big layer committed, resumed from ${(b.committedAfterReload / GiB).toFixed(2)} GiB; ${b.sha256.slice(0, 19)}…${b.errors.length ? `; console errors: ${b.errors.join(" | ")}` : ""}`,
        }));
        log(`    ${b.seconds.toFixed(0)} s`);
      } catch (error) {
        failure = error;
        console.error(`the browser path failed: ${error instanceof Error ? error.message : String(error)}`);
        rows.push({ path: "(3) Chromium, File System Access via Worker, reloaded + resumed", bytes: expected!.size, seconds: NaN, memory: "", disk: ours.peak(), note: `FAILED: ${error instanceof Error ? error.message : String(error)}` });
      }
    }

    workerRss.stop();
  } catch (error) {
    failure = error;
    console.error(`scale run failed: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    const peaks = { ours: ours.highest(), fsDrop: fsDrop.highest() };
    for (const s of [ours, fsDrop]) s.stop();
    writeReport(file, {
      gib, steps: partial, rows: [...rows], proof, failure, minutes: (Date.now() - started) / 60_000, diskPeak: peaks.ours, fsDrop: peaks.fsDrop, need,
    });
    await stopAll();
    cleanUp();
  }
  return failure ? 1 : 0;
}

function mib(n: number): string {
  return `${(n / 2 ** 20).toFixed(0)} MiB`;
}
