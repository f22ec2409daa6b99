// Typed calls from the page to the code that does its work (the download worker, the
// explore worker, the service worker) over postMessage, written once for all three.
// A worker module exports its handlers as one object, `export const services = {…}`,
// and the page's view of it is derived from that object: `Remote<typeof services>` has
// one method per handler, taking the same input and promising the same answer. There is
// no hand-kept list of messages to fall out of step with the handlers.
//
// A handler takes one structured-clonable input and a `Call`: the caller's AbortSignal,
// carried across, and `progress()`, whose updates reach the caller's `onProgress` in
// order and before the answer. What a handler throws reaches the caller as a
// DockerdlError with the same code, message and hint. Messages that are not calls (a
// test's own, say) are left to whoever else listens.

import { DockerdlError } from "../../shared/errors.ts";
import { errorFromInfo, errorInfoOf, type ErrorInfo } from "./errors.ts";

/** What a handler gets besides its input. */
export interface Call<P = never> {
  readonly signal: AbortSignal;
  progress(update: P): void;
}

export interface CallOptions<P> {
  signal?: AbortSignal;
  onProgress?: (update: P) => void;
  /** Objects the input moves rather than copies (a MessagePort). */
  transfer?: Transferable[];
}

type Handler = (input: never, call: Call<never>) => unknown;
type ProgressOf<H> = H extends (input: never, call: Call<infer P>) => unknown ? P : never;
type Method<H> = H extends (...args: infer A) => infer R
  ? (...args: A extends [] ? [input?: undefined, options?: CallOptions<never>] : [input: A[0], options?: CallOptions<ProgressOf<H>>]) => Promise<Awaited<R>>
  : never;

/** The page's side of a worker's `services`. */
export type Remote<S> = { readonly [K in keyof S]: Method<S[K]> };

type ToWorker = { rpc: "call"; id: string; method: string; input: unknown } | { rpc: "abort"; id: string };
type FromWorker = { rpc: "progress"; id: string; update: unknown } | { rpc: "answer"; id: string; value: unknown } | { rpc: "error"; id: string; error: ErrorInfo };

function isRpc<T extends { rpc: string; id: string }>(data: unknown): data is T {
  return typeof data === "object" && data !== null && typeof (data as { rpc?: unknown }).rpc === "string" && typeof (data as { id?: unknown }).id === "string";
}

/**
 * The worker's side: returns what to do with each message that arrives, answering
 * through `reply`. It returns the call's promise (a service worker passes it to
 * waitUntil, so it stays alive until it has answered), or undefined for other messages.
 */
export function serve(services: Record<string, Handler>): (data: unknown, reply: (message: FromWorker) => void) => Promise<void> | undefined {
  const running = new Map<string, AbortController>();
  return (data, reply) => {
    if (!isRpc<ToWorker>(data)) return undefined;
    const { id } = data;
    if (data.rpc === "abort") {
      running.get(id)?.abort(new DockerdlError("CANCELLED", "stopped"));
      return undefined;
    }
    if (data.rpc !== "call") return undefined;
    const controller = new AbortController();
    running.set(id, controller);
    const call: Call<unknown> = { signal: controller.signal, progress: (update) => reply({ rpc: "progress", id, update }) };
    const handler = Object.hasOwn(services, data.method) ? services[data.method] : undefined;
    return (async () => {
      try {
        if (!handler) throw new DockerdlError("UNKNOWN_CALL", `nothing here answers ${data.method}`);
        reply({ rpc: "answer", id, value: await handler(data.input as never, call as Call<never>) });
      } catch (error) {
        reply({ rpc: "error", id, error: errorInfoOf(error) });
      } finally {
        running.delete(id);
      }
    })();
  };
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  onProgress?: ((update: unknown) => void) | undefined;
  settled(): void;
}

/**
 * The page's side: calls go out through `post` (which may wait for its target, and
 * throw when there is none), and every message from that target goes to `receive`.
 */
export function connect<S>(post: (message: ToWorker, transfer: Transferable[]) => void | Promise<void>): { remote: Remote<S>; receive(data: unknown): void } {
  const pending = new Map<string, Pending>();
  const take = (id: string) => {
    const found = pending.get(id);
    pending.delete(id);
    found?.settled();
    return found;
  };

  const call = (method: string, input: unknown, options: CallOptions<unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = crypto.randomUUID();
      const { signal, onProgress, transfer = [] } = options;
      const posted = Promise.resolve().then(() => post({ rpc: "call", id, method, input }, transfer));
      const abort = () => void posted.then(() => post({ rpc: "abort", id }, [])).catch(() => {});
      pending.set(id, { resolve, reject, onProgress, settled: () => signal?.removeEventListener("abort", abort) });
      if (signal?.aborted) abort();
      else signal?.addEventListener("abort", abort, { once: true });
      posted.catch((error: unknown) => take(id)?.reject(error));
    });

  const receive = (data: unknown) => {
    if (!isRpc<FromWorker>(data)) return;
    if (data.rpc === "progress") pending.get(data.id)?.onProgress?.(data.update);
    else if (data.rpc === "answer") take(data.id)?.resolve(data.value);
    else if (data.rpc === "error") take(data.id)?.reject(errorFromInfo(data.error));
  };

  // Any method name is a call; "then" is not, so a Remote can be returned from async code.
  const remote = new Proxy({}, {
    get: (_, method) => (typeof method === "string" && method !== "then" ? (input: unknown, options?: CallOptions<unknown>) => call(method, input, options) : undefined),
  }) as Remote<S>;
  return { remote, receive };
}

/** A dedicated worker, started on its first call (so the page's first load stays small). */
export function remoteWorker<S>(start: () => Worker): Remote<S> {
  let worker: Worker | undefined;
  const { remote, receive } = connect<S>((message, transfer) => {
    if (!worker) {
      worker = start();
      worker.addEventListener("message", (event: MessageEvent) => receive(event.data));
    }
    worker.postMessage(message, transfer);
  });
  return remote;
}
