// A lookup (an image's platforms, its summary, a bundle's row) that nothing answers must
// end, not stay "looking up…" for ever: a request a browser holds back (its own password
// prompt was one) or a connection that stalls would otherwise leave the page waiting with
// nothing to tell the person. Past the deadline the lookup fails with an error that says
// so and what to do; the request behind it is aborted.

import { DockerdlError } from "../../shared/errors.ts";

/** Ample for a manifest or two and a config through the Worker, even from a slow link. */
export const LOOKUP_TIMEOUT_MS = 60_000;

/**
 * Runs `lookup` with a signal that aborts at the deadline (or with `signal`). Past the
 * deadline it rejects with NETWORK.lookup_timeout even if `lookup` ignores its signal.
 */
export async function withLookupDeadline<T>(what: string, lookup: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal, ms = LOOKUP_TIMEOUT_MS): Promise<T> {
  const deadline = new AbortController();
  const timedOut = lookupTimeout(what, ms);
  const timer = setTimeout(() => deadline.abort(timedOut), ms);
  const expired = new Promise<never>((_, reject) => deadline.signal.addEventListener("abort", () => reject(timedOut), { once: true }));
  try {
    return await Promise.race([lookup(signal ? AbortSignal.any([signal, deadline.signal]) : deadline.signal), expired]);
  } catch (error) {
    throw deadline.signal.aborted && !signal?.aborted ? timedOut : error;
  } finally {
    clearTimeout(timer);
  }
}

function lookupTimeout(what: string, ms: number): DockerdlError {
  const seconds = String(Math.round(ms / 1000));
  return new DockerdlError("NETWORK", `looking up ${what} took more than ${seconds} s with no answer`, {
    hint: "check the network connection and that the registry answers, then look it up again (edit the name or reload the page)",
    key: "NETWORK.lookup_timeout",
    params: { what, seconds },
  });
}
