// Starts the real Worker under `wrangler dev` (workerd) on a free loopback port, with
// its upstreams pointed at the harness registries and local R2 in a private folder.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OFFLINE_ENV } from "../../scripts/offline-env.ts";
import { ensureAppBuilt } from "./app-build.ts";
import { freePort, waitForHttp } from "./net.ts";
import { startProcess, type Started } from "./processes.ts";

export interface WorkerOptions {
  upstreams: Record<string, string>;
  hubApi?: string;
  vars?: Record<string, string>;
  persistDir: string;
  logDir: string;
  name?: string;
  /** Another wrangler config than the repository's (see uncachedConfig). */
  config?: string;
}

export interface RunningWorker {
  url: string;
  process: Started;
  /** The snapshot of dist/ it serves (see workerConfig); absent when the caller gave its own config. */
  assets?: string;
  stop(): Promise<void>;
}

const root = join(import.meta.dirname, "..", "..");

export function wranglerArgs(port: number, options: Omit<WorkerOptions, "logDir" | "name">): string[] {
  // The harness's registries all take the clients' credentials (the Worker's default is
  // docker.io alone): its tests pull private images from auth.test, basic.test and the zoo.
  const vars: Record<string, string> = { UPSTREAMS: JSON.stringify(options.upstreams), CREDENTIAL_UPSTREAMS: Object.keys(options.upstreams).join(","), ...options.vars };
  if (options.hubApi) vars.HUB_API = options.hubApi;
  return [
    "dev",
    "--ip", "127.0.0.1",
    "--port", String(port),
    "--inspector-port", "0",
    "--persist-to", options.persistDir,
    "--show-interactive-dev-session=false",
    "--log-level", "warn",
    ...(options.config ? ["--config", options.config] : []),
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ];
}

/**
 * A copy of wrangler.toml in `dir` whose static assets are a snapshot of dist/ taken
 * now: wrangler dev reloads the Worker when its assets change, and a build running
 * meanwhile (another `npm test`, a developer's `npm run build`) would otherwise cut
 * every transfer in flight. Without `cache`, the R2 binding is left out: the Worker as
 * an operator runs it without a cache. Paths are absolute so the copy works from anywhere.
 */
export function workerConfig(dir: string, options: { cache?: boolean } = {}): string {
  const dist = ensureAppBuilt();
  const assets = join(dir, "assets");
  rmSync(assets, { recursive: true, force: true });
  cpSync(dist, assets, { recursive: true });
  let config = readFileSync(join(root, "wrangler.toml"), "utf8");
  if (options.cache === false) config = config.replace(/\[\[r2_buckets\]\][^[]*/g, "");
  config = config
    .replace(/^main = "(.*)"$/m, (_, main: string) => `main = ${JSON.stringify(join(root, main))}`)
    .replace(/^directory = "(.*)"$/m, () => `directory = ${JSON.stringify(assets)}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, options.cache === false ? "wrangler-uncached.toml" : "wrangler.toml");
  writeFileSync(file, config);
  return file;
}

/** The Worker without its R2 cache (see workerConfig). */
export function uncachedConfig(dir: string): string {
  return workerConfig(dir, { cache: false });
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const port = await freePort();
  const configDir = join(options.logDir, `worker-${port}`);
  const config = options.config ?? workerConfig(configDir);
  const process = startProcess(options.name ?? "wrangler", join(root, "node_modules", ".bin", "wrangler"), wranglerArgs(port, { ...options, config }), {
    cwd: root,
    logDir: options.logDir,
    // The local explorer API lets tests look into the Worker's local R2 (see r2-cache.ts).
    env: { ...globalThis.process.env, ...OFFLINE_ENV, CI: "true", X_LOCAL_EXPLORER: "true" },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/v2/`, 60_000, () => `(see ${process.logFile})`);
  return { url, process, ...(options.config ? {} : { assets: join(configDir, "assets") }), stop: () => process.stop() };
}
