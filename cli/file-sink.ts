// The CLI's output file: a random-access sink on a Node file handle (positioned writes
// and read-back for in-order hashing), the `.part` file it writes, and the small resume
// state beside it. The state is written atomically (temp file + rename) and only after
// the data it vouches for has reached the disk.

import { open, readFile, rename, rm, stat, writeFile, type FileHandle } from "node:fs/promises";
import { createHash } from "node:crypto";
import type { EngineState, BlobHasher, RandomAccessSink } from "../shared/engine/index.ts";

export interface ResumeFile {
  tool: "dockerdl";
  version: 1;
  reference: string;
  manifestDigest: string;
  totalSize: number;
  engine: EngineState;
}

export function partPath(output: string): string {
  return `${output}.part`;
}

export function statePath(output: string): string {
  return `${output}.part.json`;
}

export async function readResumeFile(output: string): Promise<ResumeFile | undefined> {
  try {
    const json = JSON.parse(await readFile(statePath(output), "utf8")) as Partial<ResumeFile>;
    if (json.tool !== "dockerdl" || json.version !== 1 || typeof json.engine !== "object") return undefined;
    return json as ResumeFile;
  } catch {
    return undefined;
  }
}

export async function writeResumeFile(output: string, state: ResumeFile): Promise<void> {
  const target = statePath(output);
  const temp = `${target}.tmp`;
  await writeFile(temp, JSON.stringify(state));
  await rename(temp, target);
}

export async function removeResumeFile(output: string): Promise<void> {
  await rm(statePath(output), { force: true });
}

/** The part file sized to the whole archive; kept as it is when resuming. */
export async function openPartFile(output: string, totalSize: number, resume: boolean): Promise<FileHandle> {
  const path = partPath(output);
  if (resume) {
    const info = await stat(path).catch(() => undefined);
    if (info?.size === totalSize) return open(path, "r+");
  }
  const handle = await open(path, "w+");
  await handle.truncate(totalSize);
  return handle;
}

export async function partFileMatches(output: string, totalSize: number): Promise<boolean> {
  const info = await stat(partPath(output)).catch(() => undefined);
  return info?.size === totalSize;
}

export function fileSink(handle: FileHandle): RandomAccessSink {
  return {
    kind: "random-access",
    async write(position, bytes) {
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, position + written);
        written += bytesWritten;
      }
    },
    async read(position, length, into) {
      const buffer = into !== undefined && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === length ? buffer : buffer.subarray(0, done);
    },
  };
}

/**
 * Node's native SHA-256: about four times hash-wasm's speed here. It cannot save its
 * state, so a resumed layer is hashed again from the part file (read back, not refetched).
 */
export async function nodeHasher(): Promise<BlobHasher> {
  let hash = createHash("sha256");
  return {
    init() {
      hash = createHash("sha256");
    },
    update(data) {
      hash.update(data);
    },
    digest() {
      return hash.digest("hex");
    },
  };
}
