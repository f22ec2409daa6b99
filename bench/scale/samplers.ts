// What the scale run watches while it works, by polling once a second: the disk its own
// folder takes (and how far the file system's free space fell, which other users of the
// machine also move) and the resident memory of a process group (the Worker: wrangler's
// Node plus its workerd child). Each sampler keeps its peak until reset.
import { readdirSync, readFileSync, lstatSync, statfsSync, type Dirent } from "node:fs";
import { join } from "node:path";

/** Bytes allocated on disk under `dir` (st_blocks, so sparse and not-yet-written parts don't count). */
export function diskUsage(dir: string): number {
  let total = 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    try {
      if (entry.isDirectory()) total += diskUsage(path);
      else total += lstatSync(path).blocks * 512;
    } catch {
      // removed while we walked
    }
  }
  return total;
}

export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Resident bytes of every process in group `pgid` (from /proc; 0 when none is left). */
export function groupRss(pgid: number): number {
  let total = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // Fields after the parenthesised command name: state ppid pgrp …
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${name}/status`, "utf8"));
      if (rss) total += Number(rss[1]) * 1024;
    } catch {
      // the process ended between the listing and the read
    }
  }
  return total;
}

export interface Sampler {
  /** Peak since the last reset. */
  peak(): number;
  /** Peak since the sampler started. */
  highest(): number;
  reset(): void;
  stop(): void;
}

export function sample(read: () => number, periodMs = 1000): Sampler {
  let peak = 0;
  let highest = 0;
  const tick = () => {
    try {
      peak = Math.max(peak, read());
      highest = Math.max(highest, peak);
    } catch {
      // a transient read failure is not a measurement
    }
  };
  tick();
  const timer = setInterval(tick, periodMs);
  timer.unref();
  return {
    peak: () => (tick(), peak),
    highest: () => (tick(), highest),
    reset: () => {
      peak = 0;
      tick();
    },
    stop: () => clearInterval(timer),
  };
}
