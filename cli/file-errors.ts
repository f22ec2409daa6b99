// Ordinary file-system failures (a full disk, a missing folder, no permission) turned
// into messages that say what happened to which file and what to do: they are the
// user's to fix, not bugs in dockerdl.

import { dirname } from "node:path";
import { DockerdlError } from "../shared/errors.ts";

interface SystemError {
  code: string;
  path?: string;
  syscall?: string;
}

/** A Node system error (ENOSPC, EACCES, …), as fs and streams throw them. */
export function isSystemError(error: unknown): error is Error & SystemError {
  if (!(error instanceof Error) || error instanceof DockerdlError) return false;
  const code = (error as Partial<SystemError>).code;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code);
}

const WHAT_TO_DO = "choose another place with -o, then run the same command again";

/**
 * `error` from writing `path` (the file the user named; "-" for standard output) as a DockerdlError with a plain explanation, or undefined
 * when it is not a file-system error this knows. `kind` "stream": `path` is a FIFO or device written into.
 */
export function explainFileError(error: unknown, path: string, kind: "file" | "stream" = "file"): DockerdlError | undefined {
  const cause = error instanceof DockerdlError && error.cause !== undefined ? error.cause : error;
  if (!isSystemError(cause)) return undefined;
  const target = path === "-" ? "standard output" : path;
  const folder = dirname(target);
  const explained = (message: string, hint: string) => new DockerdlError("WRITE_FAILED", message, { hint, cause });
  switch (cause.code) {
    case "ENOSPC":
      if (path === "-") return explained("the disk that standard output is written to is full", "free some space there, or write the tar somewhere else");
      // A device written into (-o /dev/full): it is what is full, not a disk holding a file.
      if (kind === "stream") return explained(`${target} is full: no space is left on it`, "write the tar somewhere else with -o");
      return explained(`the disk holding ${target} is full`, `free some space (the tar needs its full size on disk) or ${WHAT_TO_DO}`);
    case "EDQUOT":
      return explained(`your disk quota is used up writing ${target}`, `free some space or ${WHAT_TO_DO}`);
    case "EISDIR":
      return explained(`${target} is a folder, not a file`, `remove or rename that folder, or ${WHAT_TO_DO}`);
    case "ENOENT":
      return explained(`the folder ${folder} does not exist`, `create it (mkdir -p ${folder}) or ${WHAT_TO_DO}`);
    case "ENOTDIR":
      return explained(`a part of the path ${target} is a file, not a folder`, WHAT_TO_DO);
    case "EACCES":
    case "EPERM":
      return explained(`you have no permission to write ${target}`, `write somewhere you may write (your home folder, /tmp) with -o, or fix the folder's permissions`);
    case "EROFS":
      return explained(`${target} is on a read-only file system`, WHAT_TO_DO);
    case "ENAMETOOLONG":
      return explained(`the file name ${target} is too long for the file system`, `give a shorter name with -o`);
    case "EMFILE":
    case "ENFILE":
      return explained(`too many files are open to write ${target}`, "close some programs, or raise the open-file limit (ulimit -n), then run the same command again");
    case "EPIPE":
      return explained(`the program reading the tar from ${target} stopped before the end`, "check that program's own error (e.g. docker load); the tar it received is incomplete");
    case "EIO":
      return explained(`the disk reported an input/output error writing ${target}`, `check the disk, or ${WHAT_TO_DO}`);
    case "EFBIG":
      return explained(`${target} is larger than this file system allows for one file`, `write to a file system that holds large files (not FAT32) with -o`);
    default:
      return undefined;
  }
}
