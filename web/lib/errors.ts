// Errors as the page shows them and as they cross postMessage: `ErrorInfo` is plain data
// (a code, a message, what to do, and the key and names the page words it from);
// `errorInfoOf` reads it from anything thrown, and `errorFromInfo` turns it back into
// the one error class, shared/errors.ts's DockerdlError, so a failure in a worker, the
// service worker or the seed API reaches the page's code as the same kind of error with
// the same code, hint, key and params.

import { DockerdlError, type ErrorParams } from "../../shared/errors.ts";

export interface ErrorInfo {
  code: string;
  message: string;
  hint?: string;
  /** Which wording of `code` (shared/errors.ts); the page's tables key on it. */
  key?: string;
  params?: ErrorParams;
}

export function errorInfoOf(error: unknown): ErrorInfo {
  if (typeof error === "object" && error !== null && "code" in error && "message" in error) {
    const e = error as { code: unknown; message: unknown; hint?: unknown; key?: unknown; params?: unknown };
    const info: ErrorInfo = { code: String(e.code), message: String(e.message) };
    if (typeof e.hint === "string") info.hint = e.hint;
    if (typeof e.key === "string") info.key = e.key;
    if (typeof e.params === "object" && e.params !== null) info.params = stringParams(e.params);
    return info;
  }
  if (error instanceof Error && error.name === "AbortError") return { code: "CANCELLED", message: "the download was stopped" };
  return { code: "UNKNOWN", message: error instanceof Error ? error.message : String(error) };
}

export function errorFromInfo(info: ErrorInfo): DockerdlError {
  return new DockerdlError(info.code, info.message, {
    ...(info.hint === undefined ? {} : { hint: info.hint }),
    ...(info.key === undefined ? {} : { key: info.key }),
    ...(info.params === undefined ? {} : { params: info.params }),
  });
}

function stringParams(params: object): ErrorParams {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => typeof v === "string" || typeof v === "number").map(([k, v]) => [k, String(v)]));
}
