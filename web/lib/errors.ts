// Errors as the page shows them and as they cross postMessage: `ErrorInfo` is plain data
// (a code, a message, what to do); `errorInfoOf` reads it from anything thrown, and
// `errorFromInfo` turns it back into the one error class, shared/errors.ts's
// DockerdlError, so a failure in a worker, the service worker or the seed API reaches
// the page's code as the same kind of error with the same code and hint.

import { DockerdlError } from "../../shared/errors.ts";

export interface ErrorInfo {
  code: string;
  message: string;
  hint?: string;
}

export function errorInfoOf(error: unknown): ErrorInfo {
  if (typeof error === "object" && error !== null && "code" in error && "message" in error) {
    const e = error as { code: unknown; message: unknown; hint?: unknown };
    const info: ErrorInfo = { code: String(e.code), message: String(e.message) };
    if (typeof e.hint === "string") info.hint = e.hint;
    return info;
  }
  if (error instanceof Error && error.name === "AbortError") return { code: "CANCELLED", message: "the download was stopped" };
  return { code: "UNKNOWN", message: error instanceof Error ? error.message : String(error) };
}

export function errorFromInfo(info: ErrorInfo): DockerdlError {
  return new DockerdlError(info.code, info.message, info.hint === undefined ? {} : { hint: info.hint });
}
