// The one error type every part of dockerdl throws at the user. `code` is stable and
// machine-readable (the UI, the CLI's exit status and the proxy's JSON errors key on
// it); `message` says what was wrong, in English; `hint` says what to do about it.
// `key` names which of the code's messages this is and `params` holds the names and
// numbers in it, unchanged, so a UI can word the same message in another language
// without parsing the English.

import type { Platform } from "./platform.ts";

/** The codes in use; others may be added, so `code` itself stays a string. */
export type KnownErrorCode =
  | "BAD_REFERENCE"
  | "BAD_PLATFORM"
  | "BAD_DIGEST"
  | "PLATFORM_NOT_AVAILABLE"
  | "BAD_MANIFEST"
  | "UNSUPPORTED_SCHEMA1"
  | "FOREIGN_LAYER"
  | "DIGEST_MISMATCH"
  | "SIZE_MISMATCH"
  | "UNAUTHORIZED"
  | "NOT_FOUND"
  | "UNKNOWN_REGISTRY"
  | "UPSTREAM"
  | "RATE_LIMITED"
  | "NETWORK"
  | "WRITE_FAILED"
  | "NO_SPACE"
  | "CANCELLED";

/** Names (image references, hosts, digests) and numbers a message is made of, as given. */
export type ErrorParams = Readonly<Record<string, string>>;

/**
 * A DockerdlError as plain data: what crosses postMessage in the web app and what the
 * Worker's seed API sends as its error body (seed-api.ts's ApiErrorBody), so a page can
 * word either from `key` and `params`, with `message` as the English fallback.
 */
export interface ErrorInfo {
  code: string;
  message: string;
  hint?: string;
  /** Which wording of `code`; the page's tables key on it. */
  key?: string;
  params?: ErrorParams;
}

export interface DockerdlErrorOptions {
  hint?: string;
  cause?: unknown;
  /** Which wording of `code` this is, e.g. "UNAUTHORIZED.credentials"; the code itself when absent. */
  key?: string;
  params?: ErrorParams;
}

export class DockerdlError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly key?: string;
  readonly params?: ErrorParams;

  constructor(code: KnownErrorCode | (string & Record<never, never>), message: string, options: DockerdlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DockerdlError";
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
    if (options.key !== undefined) this.key = options.key;
    if (options.params !== undefined) this.params = options.params;
  }
}

export function isDockerdlError(error: unknown, code?: string): error is DockerdlError {
  return error instanceof DockerdlError && (code === undefined || error.code === code);
}

export class BadReferenceError extends DockerdlError {
  /** `reason` words what is wrong ("uppercase", "empty"…), for BAD_REFERENCE.<reason>. */
  constructor(message: string, hint = "write it as name[:tag][@sha256:digest], e.g. ubuntu:22.04 or ghcr.io/owner/app:1.0", reason?: string, params: ErrorParams = {}) {
    super("BAD_REFERENCE", message, { hint, params, ...(reason === undefined ? {} : { key: `BAD_REFERENCE.${reason}` }) });
    this.name = "BadReferenceError";
  }
}

/** Carries what the image does offer, so a UI can show the choices instead of text. */
export class PlatformNotAvailableError extends DockerdlError {
  readonly wanted: Platform;
  readonly available: Platform[];

  constructor(message: string, wanted: Platform, available: Platform[], params: ErrorParams = {}) {
    super("PLATFORM_NOT_AVAILABLE", message, {
      key: available.length > 0 ? "PLATFORM_NOT_AVAILABLE.offers" : "PLATFORM_NOT_AVAILABLE.none",
      params,
      hint: available.length > 0
        ? "pick one of the platforms it offers with --platform"
        : "the image lists no runnable platform; check the name and tag",
    });
    this.name = "PlatformNotAvailableError";
    this.wanted = wanted;
    this.available = available;
  }
}
