// The CLI's output file: a random-access sink on a Node file handle (positioned writes
// and read-back for in-order hashing), the `.part` file it writes, and the small resume
// state beside it. The state is written atomically (temp file + rename) and only after
// the data it vouches for has reached the disk. The part file and the state's temp file
// are opened without following a symbolic link (and created exclusively when new), so
// a link planted under their names cannot point the writes at another file.

import { constants } from "node:fs";
import { lstat, open, readFile, rename, rm, unlink, type FileHandle } from "node:fs/promises";
import { createHash } from "node:crypto";
import { DockerdlError } from "../shared/errors.ts";
import type { EngineState, BlobHasher, RandomAccessSink } from "../shared/engine/index.ts";
import { isSystemError } from "./file-errors.ts";

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

/**
 * The saved state with nothing taken on its word: the bytes each layer has in the part
 * file are kept, but hashed again from there before the layer counts as verified (the
 * part file or the state may have changed since they were written, by a disk fault or by
 * someone else), so a layer that no longer matches its digest is fetched again. Node's
 * hasher cannot load a saved hash state, so this costs nothing a resume did not already
 * pay for layers not yet verified.
 */
export function rehashedOnResume(state: EngineState): EngineState {
  if (typeof state.blobs !== "object" || state.blobs === null) return state;
  const blobs = Object.fromEntries(Object.entries(state.blobs).map(([digest, blob]) => {
    if (typeof blob !== "object" || blob === null) return [digest, blob];
    const { hasher: _untrusted, ...rest } = blob;
    return [digest, { ...rest, hashed: 0, verified: false }];
  }));
  return { ...state, blobs };
}

export async function writeResumeFile(output: string, state: ResumeFile): Promise<void> {
  const target = statePath(output);
  const temp = `${target}.tmp`;
  const handle = await createOwnFile(temp, constants.O_WRONLY);
  try {
    await handle.writeFile(JSON.stringify(state));
  } finally {
    await handle.close();
  }
  await rename(temp, target);
}

export async function removeResumeFile(output: string): Promise<void> {
  await rm(statePath(output), { force: true });
}

/** The part file sized to the whole archive; kept as it is when resuming. */
export async function openPartFile(output: string, totalSize: number, resume: boolean): Promise<FileHandle> {
  const path = partPath(output);
  if (resume) {
    const handle = await openOwnFile(path, constants.O_RDWR).catch(() => undefined);
    if (handle !== undefined) {
      const info = await handle.stat();
      if (info.isFile() && info.nlink === 1 && info.size === totalSize) return handle;
      await handle.close();
    }
  }
  const handle = await createOwnFile(path, constants.O_RDWR);
  await handle.truncate(totalSize);
  return handle;
}

/** The part file is this download's to resume: a file of its own (no other name) of the archive's size. */
export async function partFileMatches(output: string, totalSize: number): Promise<boolean> {
  const info = await lstat(partPath(output)).catch(() => undefined);
  return info !== undefined && info.isFile() && info.nlink === 1 && info.size === totalSize;
}

/** An existing file of ours, not through a symbolic link. */
async function openOwnFile(path: string, flags: number): Promise<FileHandle> {
  try {
    return await open(path, flags | constants.O_NOFOLLOW);
  } catch (error) {
    if (isSystemError(error) && error.code === "ELOOP") throw symbolicLink(path);
    throw error;
  }
}

/**
 * A new, empty file at `path`, created exclusively and not through a symbolic link. What
 * is there already (a part file of another download, a temp file a killed run left) is
 * removed first; a symbolic link is refused, and a folder fails as EISDIR.
 */
async function createOwnFile(path: string, flags: number): Promise<FileHandle> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await open(path, flags | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o666);
    } catch (error) {
      if (!isSystemError(error) || error.code !== "EEXIST" || attempt >= 2) throw error;
    }
    const info = await lstat(path).catch(() => undefined);
    if (info?.isSymbolicLink()) throw symbolicLink(path);
    if (info?.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, open '${path}'`), { code: "EISDIR", path, syscall: "open" });
    // Unlinking a name never touches another name's data (a hard link's other file).
    await unlink(path).catch(() => {});
  }
}

function symbolicLink(path: string): DockerdlError {
  return new DockerdlError("WRITE_FAILED", `${path} is a symbolic link; dockerdl does not write through one`, {
    hint: `remove it (rm ${path}) if you did not put it there, then run the same command again, or choose another place with -o`,
  });
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
