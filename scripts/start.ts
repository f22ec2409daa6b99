// `npm start`: builds the PWA, then serves it and the Worker together with `wrangler dev`
// on http://localhost:8787, with R2 emulated locally (persisted under .wrangler/).
// Offline: no login, no telemetry, no update check. PORT and HOST choose where it
// listens (the port must be free: see port-check.ts); the environment variables
// UPSTREAMS, CREDENTIAL_UPSTREAMS, HUB_API, TAG_TTL, RATE_LIMIT, ALLOWED_ORIGINS and the
// *_TTL cache lifetimes override wrangler.toml.
import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { OFFLINE_ENV } from "./offline-env.ts";
import { assertPortFree, parsePort, PortInUseError } from "./port-check.ts";
import { WorkerdLogFilter } from "./workerd-log.ts";

const root = join(import.meta.dirname, "..");
const port = process.env.PORT || "8787";
const host = process.env.HOST || "localhost";
const env = { ...process.env, ...OFFLINE_ENV };

try {
  await assertPortFree(host, parsePort(port));
} catch (error) {
  if (!(error instanceof PortInUseError)) throw error;
  console.error(`npm start: ${error.message}`);
  process.exit(1);
}

const build = spawnSync(process.execPath, [join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"], { cwd: root, stdio: "inherit", env });
if (build.status !== 0) process.exit(build.status ?? 1);

const vars: string[] = [];
for (const name of ["UPSTREAMS", "CREDENTIAL_UPSTREAMS", "HUB_API", "TAG_TTL", "RATE_LIMIT", "ALLOWED_ORIGINS", "SEARCH_TTL", "POPULAR_TTL", "DETAILS_TTL"]) {
  const value = process.env[name];
  if (value !== undefined && value !== "") vars.push("--var", `${name}:${value}`);
}
if (process.env.UPSTREAMS) {
  try {
    JSON.parse(process.env.UPSTREAMS);
  } catch {
    console.error(`UPSTREAMS must be a JSON object, e.g. UPSTREAMS='{"docker.io":"http://127.0.0.1:5000"}'`);
    process.exit(2);
  }
}

// Piped, so workerd's internal-error blocks become one line each (workerd-log.ts); the
// colours stay where the terminal shows them.
const colour = process.stdout.isTTY ? { FORCE_COLOR: "1" } : {};
const wrangler = spawn(join(root, "node_modules/.bin/wrangler"), [
  "dev", "--port", port, "--ip", host, "--show-interactive-dev-session=false", "--log-level", "warn", ...vars,
], { cwd: root, stdio: ["inherit", "pipe", "pipe"], env: { ...env, ...colour } });
for (const [from, to] of [[wrangler.stdout, process.stdout], [wrangler.stderr, process.stderr]] as const) {
  const filter = new WorkerdLogFilter();
  const lines = createInterface({ input: from, crlfDelay: Infinity });
  lines.on("line", (line) => {
    for (const out of filter.push(line)) to.write(`${out}\n`);
  });
  lines.on("close", () => {
    for (const out of filter.end()) to.write(`${out}\n`);
  });
}

const url = `http://${host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host}:${port}`;
void (async () => {
  for (let i = 0; i < 600; i++) {
    try {
      await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      // The port was free before wrangler started; an answer while it runs is its own.
      if (wrangler.exitCode !== null || wrangler.signalCode !== null) return;
      console.log(`\ndockerdl is ready: ${url}  (mirror: ${url}/v2/)  Ctrl-C stops it.`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
})();

for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => wrangler.kill(signal));
wrangler.on("exit", (code) => process.exit(code ?? 0));
