// Runs the real `dockerdl` CLI (cli/main.ts on this Node) as a child process, for the
// CLI and engine integration suites.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `stdoutFile`: the CLI's standard output goes straight to that file (e.g. /dev/full), not to a pipe. */
export function startCli(args: string[], options: { cwd: string; stdin?: string; env?: NodeJS.ProcessEnv; stdoutFile?: string }): { child: ChildProcess; done: Promise<CliResult> } {
  const out = options.stdoutFile === undefined ? "pipe" : openSync(options.stdoutFile, "w");
  const child = spawn(process.execPath, ["--no-warnings", join(ROOT, "cli", "main.ts"), ...args], {
    cwd: options.cwd,
    ...(options.env === undefined ? {} : { env: options.env }),
    stdio: ["pipe", out, "pipe"],
  });
  if (typeof out === "number") closeSync(out);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin?.end(options.stdin ?? "");
  const done = new Promise<CliResult>((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function runCli(args: string[], options: { cwd: string; stdin?: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  return startCli(args, options).done;
}

export function hostOf(url: string): string {
  return new URL(url).host;
}

/** One JSON member (manifest.json, index.json) of a tar, read with GNU tar. */
export function tarJson<T = unknown>(file: string, member: string): T {
  return JSON.parse(execFileSync("tar", ["-xOf", file, member], { encoding: "utf8" })) as T;
}

export interface DockerManifestEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

export interface OciIndex {
  manifests: { digest: string; annotations?: Record<string, string> }[];
}
