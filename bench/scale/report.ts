// Writes the scale run's results as markdown: one row per path with its time, MB/s,
// peak memory and the disk the run's folder held at most during it, then the proof of
// the first file and the run's overall peaks. A run smaller than 12 GiB says so at the top.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Proof } from "./prove.ts";

export interface Row {
  path: string;
  bytes: number;
  seconds: number;
  memory: string;
  /** Bytes the run's folder held at most during this step. */
  disk: number;
  note?: string;
}

export interface Report {
  gib: number;
  /** The --steps given, when not all of them ran. */
  steps?: string;
  rows: Row[];
  proof?: Proof;
  failure?: unknown;
  minutes: number;
  diskPeak: number;
  fsDrop: number;
  need: number;
  /** Written mid-run: the steps so far. */
  running?: boolean;
}

const gib = (n: number) => `${(n / 2 ** 30).toFixed(2)} GiB`;

function version(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n")[0].trim();
  } catch {
    return `${command} (version unknown)`;
  }
}

export function writeReport(file: string, report: Report): void {
  const full = report.gib >= 12;
  const lines = [
    `# dockerdl scale run — ${new Date().toISOString()}${full ? "" : ` — SMALL TRIAL RUN (${report.gib} GiB), not the full 12 GiB run`}`,
    "",
    `\`npm run bench -- --scale${full ? "" : ` --scale-size=${report.gib}`}${report.steps ? ` --steps=${report.steps}` : ""}\`: ${report.gib} GiB of layer bytes, one uncompressed layer of ${(report.gib * 9.25 / 12.25).toFixed(2)} GiB, three gzip'd layers.`,
    `Node ${process.version}, ${version("nproc", [])} CPUs shared with other work, ${version("chromium", ["--version"])}, ${version("skopeo", ["--version"])}.`,
    "MB/s = bytes / wall time (10^6 bytes). Disk = the most the run's own folder held during the step (registry, R2, output, Chromium profile).",
    "",
    report.running ? "**Run in progress (or cut short): the steps done so far.**" : report.failure ? `**The run failed:** ${report.failure instanceof Error ? report.failure.message : String(report.failure)}` : "**Every path passed**: the outputs are byte-identical (sha256 below).",
    "",
    "| path | size | time (s) | MB/s | peak memory | disk high-water | notes |",
    "| --- | ---: | ---: | ---: | --- | ---: | --- |",
    ...report.rows.map((r) => `| ${r.path} | ${gib(r.bytes)} | ${r.seconds.toFixed(1)} | ${(r.bytes / 1e6 / r.seconds).toFixed(1)} | ${r.memory} | ${gib(r.disk)} | ${r.note ?? ""} |`),
    "",
    report.proof
      ? `Proof of the first file: GNU tar lists the big layer with ${report.proof.gnuTarSize} bytes; Python's tarfile reads ${report.proof.members} members, the big one's PAX size record says ${report.proof.paxSize ?? "(none: under 8 GiB)"} and its bytes hash to ${report.proof.memberSha256}, its digest; \`skopeo copy docker-archive:… oci:…\` accepts the file.`
      : "The first file was not proven.",
    "",
    `Whole run: ${report.minutes.toFixed(1)} min; the run's folder held at most ${gib(report.diskPeak)} (estimated need ${gib(report.need)}); the file system's free space fell by at most ${gib(report.fsDrop)} (other work on the machine moves this too).`,
    "",
  ];
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, lines.join("\n"));
}
