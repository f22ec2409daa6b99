// Retrying what may pass (a dropped connection, a 5xx, a 429) after a doubling delay or
// the wait the server named (Retry-After), for the registry client's small requests and
// the engine's blob ranges alike. Waits end at once when the signal aborts, and an
// abort is always a cancellation, never one more attempt.

import { DockerdlError } from "./errors.ts";
import { isTransient, RegistryError } from "./registry/errors.ts";

export interface Backoff {
  /** The first delay, doubled after each further failure. */
  baseDelayMs: number;
  /** No delay of our own choosing is longer. */
  maxDelayMs: number;
  /** A server's Retry-After is honoured up to this. */
  maxRetryAfterMs: number;
  /** Spread each delay over ±25%, so parallel requests do not retry in lockstep. */
  jitter?: boolean;
}

export interface RetryOptions extends Backoff {
  /** Failures retried; the one after is thrown. */
  retries: number;
  signal?: AbortSignal;
  /** True when the failed attempt got further than the one before it: the failures count from one again. */
  progressed?(): boolean;
  onRetry?(failures: number, delayMs: number, error: unknown): void;
  /** What is thrown once the retries are spent (default: the last failure as it came). */
  gaveUp?(error: unknown, attempts: number): unknown;
}

/** The wait before retrying after `failures` failures (1 for the first). */
export function backoffDelay(failures: number, backoff: Backoff, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, backoff.maxRetryAfterMs);
  const delay = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** (failures - 1));
  return backoff.jitter ? delay * (0.75 + Math.random() * 0.5) : delay;
}

/** `attempt`'s result, retried on transient failures (registry/errors.ts) as `options` say. */
export async function retrying<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { signal } = options;
  for (let failures = 0; ;) {
    try {
      return await attempt();
    } catch (error) {
      if (signal?.aborted) throw cancelled(signal);
      if (!isTransient(error)) throw error;
      failures = options.progressed?.() ? 1 : failures + 1;
      if (failures > options.retries) throw options.gaveUp === undefined ? error : options.gaveUp(error, failures);
      const delayMs = backoffDelay(failures, options, error instanceof RegistryError ? error.retryAfterMs : undefined);
      options.onRetry?.(failures, delayMs, error);
      await sleep(delayMs, signal);
    }
  }
}

/** Resolves after `ms`; rejects with cancelled(signal) as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The abort reason if it is a DockerdlError (a failure elsewhere), else CANCELLED. */
export function cancelled(signal?: AbortSignal): DockerdlError {
  const reason = signal?.reason;
  if (reason instanceof DockerdlError) return reason;
  // No hint: whether it can resume is the caller's to say (a file can, standard output cannot).
  return new DockerdlError("CANCELLED", "the download was cancelled", { cause: reason });
}
