// The command-line pulls of the scale run: dockerdl's CLI (under /usr/bin/time for its
// peak RSS) and curl of the Worker's /api/download. Each is bounded by a timeout, and
// every child is remembered so an interrupted run can end it.
import { execFile, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { compiledCli } from "../measure.ts";
import { timeoutFor } from "./prove.ts";

const children = new Set<ChildProcess>();

process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

export interface Timed {
  seconds: number;
  /** Peak RSS of the command, in bytes. */
  peakRss: number;
}

function timed(command: string, args: string[], cwd: string, bytes: number): Promise<Timed> {
  const timeFile = join(cwd, "time.txt");
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = execFile("/usr/bin/time", ["-f", "%M", "-o", timeFile, command, ...args], { cwd, timeout: timeoutFor(bytes), maxBuffer: 1 << 24 }, (error, _stdout, stderr) => {
      children.delete(child);
      if (error) {
        reject(new Error(`${command} ${args.join(" ")} failed: ${stderr || String(error)}`));
        return;
      }
      const kib = Number(readFileSync(timeFile, "utf8").trim().split("\n").at(-1));
      rmSync(timeFile, { force: true });
      resolve({ seconds: (performance.now() - started) / 1000, peakRss: kib * 1024 });
    });
    children.add(child);
  });
}

/** `dockerdl pull` of `reference` into `out`, through `proxy` when given: the CLI as users install it. */
export async function cliPull(reference: string, out: string, bytes: number, workDir: string, proxy?: string): Promise<Timed> {
  const args = [await compiledCli(workDir), "pull", reference, "-q", "-o", out, ...(proxy ? ["--proxy", proxy] : [])];
  return timed(process.execPath, args, workDir, bytes);
}

/** The Worker's streamed docker-load tar, as a person without the CLI would fetch it. */
export function curlApiDownload(worker: string, reference: string, out: string, bytes: number, workDir: string): Promise<Timed> {
  const body = JSON.stringify({ image: reference, platform: "linux/amd64" });
  return timed("curl", ["-sSf", "-X", "POST", "-H", "content-type: application/json", "--data", body, "-o", out, `${worker}/api/download`], workDir, bytes);
}
