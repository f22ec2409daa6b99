// `npm test`: typecheck every tsconfig, lint, build the PWA (the Worker serves it), then
// every vitest project. Stops at the first failing step and exits non-zero.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const node = process.execPath;
const steps: [string, string[]][] = [
  ["typecheck", [join(root, "scripts/typecheck.ts")]],
  ["lint", [join(root, "node_modules/eslint/bin/eslint.js"), "."]],
  ["build", [join(root, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "warn"]],
  ["tests", [join(root, "node_modules/vitest/vitest.mjs"), "run", ...process.argv.slice(2)]],
];
for (const [name, args] of steps) {
  const started = Date.now();
  console.log(`\n▶ ${name}`);
  const result = spawnSync(node, args, { cwd: root, stdio: "inherit", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  console.log(`${result.status === 0 ? "✔" : "✘"} ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  if (result.status !== 0) process.exit(result.status ?? 1);
}
