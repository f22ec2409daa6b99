// The one error type every part of dockerdl throws at the user. `code` is stable and
// machine-readable (the UI, the CLI's exit status and the proxy's JSON errors key on
// it); `message` says what was wrong; `hint` says what to do about it.

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
  | "UPSTREAM"
  | "RATE_LIMITED"
  | "NETWORK"
  | "CANCELLED";

export interface DockerdlErrorOptions {
  hint?: string;
  cause?: unknown;
}

export class DockerdlError extends Error {
  readonly code: string;
  readonly hint?: string;

  constructor(code: KnownErrorCode | (string & Record<never, never>), message: string, options: DockerdlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "DockerdlError";
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
  }
}

export function isDockerdlError(error: unknown, code?: string): error is DockerdlError {
  return error instanceof DockerdlError && (code === undefined || error.code === code);
}

export class BadReferenceError extends DockerdlError {
  constructor(message: string, hint = "write it as name[:tag][@sha256:digest], e.g. ubuntu:22.04 or ghcr.io/owner/app:1.0") {
    super("BAD_REFERENCE", message, { hint });
    this.name = "BadReferenceError";
  }
}

/** Carries what the image does offer, so a UI can show the choices instead of text. */
export class PlatformNotAvailableError extends DockerdlError {
  readonly wanted: Platform;
  readonly available: Platform[];

  constructor(message: string, wanted: Platform, available: Platform[]) {
    super("PLATFORM_NOT_AVAILABLE", message, {
      hint: available.length > 0
        ? "pick one of the platforms it offers with --platform"
        : "the image lists no runnable platform; check the name and tag",
    });
    this.name = "PlatformNotAvailableError";
    this.wanted = wanted;
    this.available = available;
  }
}
