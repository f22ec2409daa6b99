// Type-checks every runtime's tsconfig: shared/ against the common web-platform subset,
// proxy/ against Workers types, web/page against the DOM, web/workers, web/sw and web/lib
// against WebWorker, cli/ and test/ against Node.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const PROJECTS = ["shared", "proxy", "web/page", "web/workers", "web/sw", "web/lib", "cli", "test"];

const root = join(import.meta.dirname, "..");
let failed = false;
for (const project of PROJECTS) {
  const result = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", project], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`typecheck failed: ${project}/tsconfig.json`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
