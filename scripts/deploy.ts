// `npm run deploy`: builds the PWA, makes sure the R2 bucket named in wrangler.toml
// exists on the Cloudflare account, then deploys the Worker with its assets. Needs
// `npx wrangler login` (or CLOUDFLARE_API_TOKEN) once. Extra arguments go to
// `wrangler deploy` (e.g. --dry-run).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const wrangler = join(root, "node_modules/.bin/wrangler");
const args = process.argv.slice(2);
const dryRun = args.includes("--dry-run");

function run(command: string, commandArgs: string[], allowFailure = false): string {
  const result = spawnSync(command, commandArgs, { cwd: root, encoding: "utf8", stdio: ["inherit", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  process.stdout.write(result.stdout ?? "");
  process.stderr.write(result.stderr ?? "");
  if (result.status !== 0 && !allowFailure) process.exit(result.status ?? 1);
  return `${result.stdout}${result.stderr}`;
}

run(process.execPath, [join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"]);
if (!dryRun) {
  const bucket = /bucket_name\s*=\s*"([^"]+)"/.exec(readFileSync(join(root, "wrangler.toml"), "utf8"))?.[1];
  if (bucket) {
    const out = run(wrangler, ["r2", "bucket", "create", bucket], true);
    if (!/already exists|Created bucket|created/i.test(out)) {
      console.error(`Could not create the R2 bucket "${bucket}". Check 'npx wrangler login' and that R2 is enabled on the account.`);
      process.exit(1);
    }
  }
}
run(wrangler, ["deploy", ...args]);
