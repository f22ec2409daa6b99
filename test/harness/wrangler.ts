// Starts the real Worker under `wrangler dev` (workerd) on a free loopback port, with
// its upstreams pointed at the harness registries and local R2 in a private folder.
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
    ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
  ];
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
