// The PWA's build (dist/), which the Worker serves: built here when a fresh clone has
// none yet, so `npm run harness` and a single suite work without `npm run build` first.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
export const DIST = join(root, "dist");

export function ensureAppBuilt(): string {
  if (existsSync(join(DIST, "index.html"))) return DIST;
  console.log("dist/ has no build yet: building the app (npm run build)…");
  const build = spawnSync(process.execPath, [join(root, "node_modules", "vite", "bin", "vite.js"), "build", "--logLevel", "warn"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0 || !existsSync(join(DIST, "index.html"))) throw new Error(`building the app failed (exit status ${build.status}); run "npm run build" to see why`);
  return DIST;
}
