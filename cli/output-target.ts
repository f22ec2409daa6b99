// Where `dockerdl pull` writes, decided before any byte is fetched: a file (an existing
// folder given to -o gets the default name inside it), standard output for `-o -`, or a
// FIFO or device named by -o, written into in order as standard output is (never
// replaced by a file renamed over it: /dev/full, a pipe another program reads).
// A file download holds a lock beside its `.part` for as long as it runs, so a second
// run writing the same file refuses at the start instead of interleaving with the first.

import { constants, type Stats, type WriteStream } from "node:fs";
import { link, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { DockerdlError } from "../shared/errors.ts";
import type { SequentialSink } from "../shared/engine/index.ts";
import { explainFileError, isSystemError } from "./file-errors.ts";
import { partPath } from "./file-sink.ts";

export type OutputTarget = { kind: "stdout" } | { kind: "file"; path: string } | { kind: "stream"; path: string };

/** `-o` as given (or absent) → the target, with `defaultName` for absent or a folder. */
export async function chooseOutput(option: string | undefined, defaultName: string, stdoutIsTerminal: boolean): Promise<OutputTarget> {
  if (option === "-") {
    if (stdoutIsTerminal) {
      throw new DockerdlError("USAGE", "-o - writes the tar to standard output, which is a terminal here", {
        hint: "pipe it into a program, e.g. dockerdl pull IMAGE -o - | docker load, or redirect it: > image.tar",
      });
    }
    return { kind: "stdout" };
  }
  if (option === undefined) return fileOrStream(defaultName);
  const info = await stat(option).catch(() => undefined);
  if (info?.isDirectory()) return fileOrStream(join(option, defaultName));
  if (/[/\\]$/.test(option)) {
    throw new DockerdlError("WRITE_FAILED", `the folder ${option} does not exist`, { hint: `create it (mkdir -p ${option}) or choose another place with -o` });
  }
  return fileOrStream(option, info);
}

/** A FIFO or a device (what a symbolic link there points to) takes the bytes in order. */
export function isStreamTarget(info: Stats): boolean {
  return info.isFIFO() || info.isCharacterDevice() || info.isBlockDevice();
}

async function fileOrStream(path: string, known?: Stats): Promise<OutputTarget> {
  const info = known ?? (await stat(path).catch(() => undefined));
  if (info?.isSocket()) {
    throw new DockerdlError("WRITE_FAILED", `${path} is a socket; dockerdl writes a file, a FIFO or a device`, { hint: "choose another place with -o, or use -o - and a pipe" });
  }
  return info !== undefined && isStreamTarget(info) ? { kind: "stream", path } : { kind: "file", path };
}

/**
 * Opens a FIFO or device for writing: never created, truncated or replaced. Opening a
 * FIFO waits for its reader, as a shell's `> fifo` does.
 */
export async function openStreamTarget(path: string): Promise<WriteStream> {
  const handle = await open(path, constants.O_WRONLY | constants.O_NOCTTY);
  try {
    if (!isStreamTarget(await handle.stat())) {
      throw new DockerdlError("WRITE_FAILED", `${path} changed while dockerdl started: it is no longer a FIFO or device`, { hint: "run the same command again" });
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle.createWriteStream();
}

export function lockPath(output: string): string {
  return `${partPath(output)}.lock`;
}

export interface OutputLock {
  release(): Promise<void>;
}

/**
 * Takes the lock of `output`'s part file: a file created exclusively that holds this
 * process's PID. A lock whose PID is no longer running (a killed run) is taken over.
 */
export async function lockOutput(output: string): Promise<OutputLock> {
  const path = lockPath(output);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return { release: () => releaseLock(path) };
    } catch (error) {
      if (!isSystemError(error) || error.code !== "EEXIST") throw explainFileError(error, output) ?? error;
    }
    const holder = await lockHolder(path);
    if (holder !== undefined && isRunning(holder)) throw busy(output, holder);
    await takeOverStale(path);
  }
  throw busy(output, await lockHolder(path));
}

function busy(output: string, pid: number | undefined): DockerdlError {
  return new DockerdlError("OUTPUT_BUSY", `another dockerdl${pid === undefined ? "" : ` (PID ${pid})`} is writing ${output} right now`, {
    hint: `wait for it to finish, or stop it and run this command again (it resumes), or choose another file with -o`,
  });
}

async function lockHolder(path: string): Promise<number | undefined> {
  const text = await readFile(path, "utf8").catch(() => "");
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return isSystemError(error) && error.code === "EPERM";
  }
}

/**
 * Moves a stale lock aside atomically, so of two runs taking it over at once only one
 * succeeds; if what was moved turns out to belong to a live run (it was taken over a
 * moment earlier), it is put back.
 */
async function takeOverStale(path: string): Promise<void> {
  const aside = `${path}.${process.pid}.stale`;
  try {
    await rename(path, aside);
  } catch {
    return; // gone already: try to create it again
  }
  const holder = await lockHolder(aside);
  if (holder !== undefined && isRunning(holder)) await link(aside, path).catch(() => {});
  await unlink(aside).catch(() => {});
}

async function releaseLock(path: string): Promise<void> {
  if ((await lockHolder(path)) === process.pid) await unlink(path).catch(() => {});
}

/**
 * Standard output as the engine's sequential sink: write() resolves when the pipe
 * takes more (backpressure); a closed pipe (EPIPE) fails the download.
 */
export function stdoutSink(stream: NodeJS.WritableStream): SequentialSink & { flush(): Promise<void> } {
  let failure: unknown;
  const waiters = new Set<(error?: unknown) => void>();
  stream.on("error", (error) => {
    failure ??= error;
    for (const w of waiters) w(error);
    waiters.clear();
  });
  const wait = (event: "drain" | "flushed", start: (done: () => void) => void) => new Promise<void>((resolve, reject) => {
    if (failure !== undefined) return reject(failure);
    const settle = (error?: unknown) => {
      waiters.delete(settle);
      if (error === undefined) resolve();
      else reject(error);
    };
    waiters.add(settle);
    if (event === "drain") stream.once("drain", () => settle());
    start(() => settle());
  });
  return {
    kind: "sequential",
    async write(bytes) {
      if (failure !== undefined) throw failure;
      if (stream.write(bytes)) return;
      await wait("drain", () => {});
    },
    // Writing nothing calls back once everything before it has been handed to the OS.
    flush: () => wait("flushed", (done) => stream.write(new Uint8Array(0), () => done())),
  };
}
