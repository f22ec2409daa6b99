// Runs the real `dockerdl` CLI (cli/main.ts on this Node) as a child process, for the
// CLI and engine integration suites.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], options: { cwd: string; stdin?: string; env?: NodeJS.ProcessEnv }): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ["--no-warnings", join(ROOT, "cli", "main.ts"), ...args], {
    cwd: options.cwd,
    ...(options.env === undefined ? {} : { env: options.env }),
    stdio: ["pipe", "pipe", "pipe"],
  });
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
