// Starts the real Worker under `wrangler dev` (workerd) on a free loopback port, with
// its upstreams pointed at the harness registries and local R2 in a private folder.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OFFLINE_ENV } from "../../scripts/offline-env.ts";
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
  stop(): Promise<void>;
}

const root = join(import.meta.dirname, "..", "..");

export function wranglerArgs(port: number, options: Omit<WorkerOptions, "logDir" | "name">): string[] {
  const vars: Record<string, string> = { UPSTREAMS: JSON.stringify(options.upstreams), ...options.vars };
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
 * A copy of wrangler.toml without the R2 binding, written into `dir`: the Worker as an
 * operator runs it without a cache. Paths are made absolute so the copy works from anywhere.
 */
export function uncachedConfig(dir: string): string {
  const original = readFileSync(join(root, "wrangler.toml"), "utf8");
  const withoutR2 = original.replace(/\[\[r2_buckets\]\][^[]*/g, "");
  const absolute = withoutR2
    .replace(/^main = "(.*)"$/m, (_, main: string) => `main = ${JSON.stringify(join(root, main))}`)
    .replace(/^directory = "(.*)"$/m, (_, dir: string) => `directory = ${JSON.stringify(join(root, dir))}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "wrangler-uncached.toml");
  writeFileSync(file, absolute);
  return file;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const port = await freePort();
  const process = startProcess(options.name ?? "wrangler", join(root, "node_modules", ".bin", "wrangler"), wranglerArgs(port, options), {
    cwd: root,
    logDir: options.logDir,
    env: { ...globalThis.process.env, ...OFFLINE_ENV, CI: "true" },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/v2/`, 60_000, () => `(see ${process.logFile})`);
  return { url, process, stop: () => process.stop() };
}
