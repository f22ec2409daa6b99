// Errors as the page shows them and as they cross postMessage: `ErrorInfo` (shared/errors.ts,
// also the seed API's error body) is plain data (a code, a message, what to do, and the key
// and names the page words it from); `errorInfoOf` reads it from anything thrown (or from
// an API answer, `apiAnswerError`), and `errorFromInfo` turns it back into
// the one error class, shared/errors.ts's DockerdlError, so a failure in a worker, the
// service worker or the seed API reaches the page's code as the same kind of error with
// the same code, hint, key and params.

import { DockerdlError, type ErrorInfo, type ErrorParams } from "../../shared/errors.ts";

export type { ErrorInfo };

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

/**
 * The error of a seed-API answer that is not ok: its body's {"error": ErrorInfo} (code,
 * message, hint, key and params: the page words it from the key, the message is the
 * fallback), or the HTTP status when something else (a gateway's page) answered.
 */
export function apiAnswerError(body: unknown, response: { status: number; statusText: string }): DockerdlError {
  const sent = (body as { error?: Partial<Record<keyof ErrorInfo, unknown>> } | null)?.error;
  return errorFromInfo(errorInfoOf({
    ...sent,
    code: typeof sent?.code === "string" ? sent.code : `HTTP_${response.status}`,
    message: typeof sent?.message === "string" ? sent.message : `the server answered ${response.status} ${response.statusText}`,
  }));
}
