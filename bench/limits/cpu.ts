// CPU time of a `wrangler dev` Worker, read from Linux's /proc: the utime + stime of the
// workerd process that runs the Worker (the kernel sums every thread of the process into
// /proc/<pid>/stat, threads that have ended included), in clock ticks (CLK_TCK, 100 a
// second here: 10 ms resolution, so each measurement spans hundreds of ticks or more).
//
// `wrangler dev` starts two workerd processes: one serves the public port and forwards
// every request (wrangler's proxy worker), the other runs the Worker itself, with its
// bindings (the local R2 simulator is a Durable Object in that same process). The
// Worker's is the one not listening on the public port.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
export const TICK_MS = 1000 / TICKS_PER_SECOND;

/** Milliseconds of CPU the process has used so far, all its threads, user and kernel. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces), from field 3 (state) on.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

function children(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // ended meanwhile
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(entry)]);
  }
  return byParent;
}

function descendants(pid: number): number[] {
  const byParent = children();
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift()!;
    for (const child of byParent.get(next) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

export interface WorkerdProcesses {
  /** The workerd that runs the Worker (and its local R2). */
  runtime: number;
  /** wrangler's proxy workerd, which only forwards requests; measured for the record. */
  proxy: number | null;
}

/** The workerd processes under the `wrangler dev` process `wranglerPid` that serves `publicPort`. */
export function workerdOf(wranglerPid: number, publicPort: number): WorkerdProcesses {
  const workerds = descendants(wranglerPid).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd";
    } catch {
      return false;
    }
  });
  const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  const serving = (pid: number) => cmdline(pid).some((arg) => arg === `--socket-addr=entry=127.0.0.1:${publicPort}`);
  const runtimes = workerds.filter((pid) => !serving(pid));
  if (runtimes.length !== 1) {
    throw new Error(`expected one workerd running the Worker under wrangler (pid ${wranglerPid}), found ${runtimes.length} of ${workerds.length}: ${workerds.map((p) => `${p}: ${cmdline(p).join(" ")}`).join("; ")}`);
  }
  return { runtime: runtimes[0], proxy: workerds.find(serving) ?? null };
}

/** CPU ms per wall second the process uses with nothing asking it anything. */
export async function idleRate(pid: number, ms: number): Promise<number> {
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  await sleep(ms);
  return (cpuMs(pid) - cpu0) / ((performance.now() - t0) / 1000);
}

export interface SettleOptions {
  /** The process's idle CPU rate (ms per s). */
  idle: number;
  /** True once the work this waits for is done (e.g. the object is in R2); asked only while the CPU is quiet. */
  done?: () => Promise<boolean>;
  /** Give up waiting for `done` this long after settle began; the result says it was not done. */
  timeoutMs: number;
  /** How long the CPU must stay quiet (default 1.5 s). */
  quietMs?: number;
}

/**
 * Waits until the process's CPU stops rising (background work after a response: a cache
 * fill finishing in waitUntil), and until `done` says so when given. Quiet: over the
 * last `quietMs`, no more than the idle rate plus two clock ticks.
 */
export async function settle(pid: number, options: SettleOptions): Promise<{ done: boolean }> {
  const quietMs = options.quietMs ?? 1500;
  const interval = 250;
  const started = performance.now();
  const samples: { t: number; cpu: number }[] = [{ t: started, cpu: cpuMs(pid) }];
  // `done` is a request to the same process: asked at most once a second, its CPU is noise.
  let asked = -Infinity;
  for (;;) {
    await sleep(interval);
    const now = { t: performance.now(), cpu: cpuMs(pid) };
    samples.push(now);
    const past = samples.find((s) => now.t - s.t <= quietMs + interval / 2 && now.t - s.t >= quietMs - interval / 2);
    const quiet = past !== undefined && now.cpu - past.cpu <= (options.idle * (now.t - past.t)) / 1000 + 2 * TICK_MS;
    if (!quiet) continue;
    if (!options.done) return { done: true };
    if (now.t - asked >= 1000) {
      asked = now.t;
      if (await options.done()) return { done: true };
    }
    if (now.t - started > options.timeoutMs) return { done: false };
  }
}

/** CPU ms the whole machine has been busy (all CPUs: user, nice, system, irq, softirq; not idle, iowait or steal). */
export function machineBusyMs(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0];
  const [user, nice, system, , , irq, softirq] = line.trim().split(/\s+/).slice(1).map(Number);
  return ((user + nice + system + irq + softirq) * 1000) / TICKS_PER_SECOND;
}

/** CPU ms used by `pid` and every process under it (the bench, its registries, wranglers and workerds). */
export function treeCpuMs(pid: number): number {
  let total = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      total += cpuMs(p);
    } catch {
      // ended meanwhile
    }
  }
  return total;
}

/** Reads how much CPU the machine spends outside this bench's process tree: other sessions, other tests. */
export class ForeignLoad {
  private busy = machineBusyMs();
  private ours = treeCpuMs(process.pid);
  private t = performance.now();

  /** Foreign CPU since the last call (or construction), as a share of one CPU. */
  sample(): number {
    const busy = machineBusyMs();
    const ours = treeCpuMs(process.pid);
    const t = performance.now();
    const share = Math.max(0, busy - this.busy - (ours - this.ours)) / Math.max(1, t - this.t);
    this.busy = busy;
    this.ours = ours;
    this.t = t;
    return share;
  }
}

/**
 * Waits (at most `maxMs`) until other processes on the machine have used less than
 * `threshold` of one CPU for two seconds in a row: other sessions' test runs come in bursts,
 * and a path measured beside one costs the Worker more CPU (and changes how bytes arrive).
 * Returns the foreign load of the last second.
 */
export async function waitForQuiet(maxMs: number, threshold = 0.15): Promise<number> {
  const load = new ForeignLoad();
  const deadline = performance.now() + maxMs;
  let quietSeconds = 0;
  let last = 0;
  while (performance.now() < deadline) {
    await sleep(1000);
    last = load.sample();
    quietSeconds = last < threshold ? quietSeconds + 1 : 0;
    if (quietSeconds >= 2) break;
  }
  return last;
}
