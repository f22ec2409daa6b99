// --connections as a ceiling on the sockets the CLI holds open at once, every host
// together (issue #25). undici's own `connections` bounds one origin's pool: a registry
// that redirects blobs to a CDN got N sockets at the registry and N more at the CDN, and
// their keep-alive kept them open. Here the pull has N slots; each holds at most one
// socket (a dispatcher of its own, one connection, used for one route and origin only).
// A request takes a slot for its origin: an idle one already connected there (the socket
// is reused), else an empty one, else an idle one connected elsewhere, whose socket is
// closed first (gracefully, so the server has let it go before the next one opens); with
// none idle it waits. The slot is the request's until its response has all arrived at
// the socket (or failed), as undici frees the socket then, read or not (http.ts
// releasedAtEnd); a large body nobody reads or cancels holds its slot, as it holds its
// socket (the connection pauses).
import type { Socket } from "node:net";
import type { Dispatcher } from "./undici-parts.ts";

/** A slot's dispatcher, and how it reports the socket it opens (so an eviction can close it gracefully). */
export type OpenDispatcher = (onSocket: (socket: Socket) => void) => Dispatcher;

/** How long a socket being closed waits for the server to close its side before it is destroyed. */
const GRACEFUL_CLOSE_MS = 2000;

interface Slot {
  /** The route and origin its dispatcher serves; null while empty. */
  key: string | null;
  dispatcher: Dispatcher | null;
  socket: Socket | null;
  busy: boolean;
}

interface Waiter {
  key: string;
  grant(slot: Slot): void;
}

export interface SlotLease {
  dispatcher: Dispatcher;
  /** The request's body is done (or the request failed): the slot is free. */
  release(): void;
}

export class SocketSlots {
  readonly #slots: Slot[];
  readonly #waiting: Waiter[] = [];

  constructor(size: number) {
    this.#slots = Array.from({ length: size }, () => ({ key: null, dispatcher: null, socket: null, busy: false }));
  }

  /** A slot for `key` (route and origin), its dispatcher made by `open` when the slot had none for it. */
  async acquire(key: string, open: OpenDispatcher, signal?: AbortSignal): Promise<SlotLease> {
    signal?.throwIfAborted();
    const slot = await new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = { key, grant: resolve };
      const abort = () => {
        const at = this.#waiting.indexOf(waiter);
        if (at >= 0) this.#waiting.splice(at, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", abort, { once: true });
      waiter.grant = (granted) => {
        signal?.removeEventListener("abort", abort);
        resolve(granted);
      };
      this.#waiting.push(waiter);
      this.#pump();
    });
    try {
      if (slot.key !== key) await this.#rebind(slot, key, open);
    } catch (error) {
      this.#free(slot);
      throw error;
    }
    let released = false;
    return {
      dispatcher: slot.dispatcher!,
      release: () => {
        if (released) return;
        released = true;
        this.#free(slot);
      },
    };
  }

  #free(slot: Slot): void {
    slot.busy = false;
    this.#pump();
  }

  /** Hands idle slots to waiters in order: one connected to the waiter's origin, else an empty one, else any idle one. */
  #pump(): void {
    while (this.#waiting.length > 0) {
      const { key } = this.#waiting[0];
      const idle = this.#slots.filter((s) => !s.busy);
      const slot = idle.find((s) => s.key === key) ?? idle.find((s) => s.key === null) ?? idle[0];
      if (slot === undefined) return;
      slot.busy = true;
      this.#waiting.shift()!.grant(slot);
    }
  }

  /** Closes the slot's socket (waiting until the server has closed its side) and gives it a dispatcher for `key`. */
  async #rebind(slot: Slot, key: string, open: OpenDispatcher): Promise<void> {
    const { dispatcher, socket } = slot;
    slot.key = null;
    slot.dispatcher = null;
    slot.socket = null;
    if (socket !== null && !socket.destroyed) {
      const closed = new Promise((resolve) => socket.once("close", resolve));
      socket.end();
      // A server that never closes its side is not waited for long.
      const stuck = setTimeout(() => socket.destroy(), GRACEFUL_CLOSE_MS);
      await closed;
      clearTimeout(stuck);
    }
    await dispatcher?.close().catch(() => {});
    slot.dispatcher = open((opened) => {
      slot.socket = opened;
    });
    slot.key = key;
  }
}
