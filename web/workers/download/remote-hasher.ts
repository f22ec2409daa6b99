// SHA-256 for the download engine on a thread of its own (hash.worker.ts). The download
// worker's thread receives the network's bytes, gathers and writes them and runs the
// engine; hashing them there as well made that thread the download's bottleneck
// (profiled: hash-wasm was half of its time, about 5 s per GiB).
// Bytes go over in 1 MiB slots: copied in, transferred to the thread, and transferred
// back once hashed, so no buffer is allocated per update (a fresh copy each time cost
// 1.5 s per GiB in page faults). While every slot is away, update() waits: at most
// SLOTS MiB wait to be hashed. A hasher's updates, saves and digest reach the thread in
// the order they are called, so digest() and save() answer after every update before
// them (the engine's BlobHasher contract).
// A range read whole (a Blob: web/lib/held-bodies.ts) goes over as it is, in the same
// order, and is read back on the thread (hash-blob.ts); a read back that stalled and was
// read another way is counted in heldSoFar.stalled.
// A state to resume from is loaded into a hasher here first, so a state from another
// build fails at load(), where the engine expects it to. Where a worker cannot start a
// worker of its own, hashing stays on the calling thread.

import { createSHA256, type IHasher } from "hash-wasm";
import type { BlobHasher, BlobHasherFactory } from "../../../shared/engine/index.ts";
import type { HeldBytes } from "../../../shared/http.ts";
import { heldSoFar } from "../../lib/held-bodies.ts";
import { asBlob, hashBlob } from "./hash-blob.ts";
import type { HashReply, HashRequest } from "./hash-protocol.ts";

const SLOT = 1 << 20;
const SLOTS = 16;

type Answer = { resolve(reply: HashReply): void; reject(error: Error): void };

class HashThread {
  readonly #worker: Worker;
  /** Per hasher, the save and digest answers still due, in order. */
  readonly #answers = new Map<number, Answer[]>();
  readonly #free: ArrayBuffer[] = [];
  #slots = 0;
  #slotWaiters: (() => void)[] = [];
  #nextId = 1;
  #failure: Error | undefined;

  constructor() {
    this.#worker = new Worker(new URL("./hash.worker.ts", import.meta.url), { type: "module", name: "dockerdl-hash" });
    this.#worker.addEventListener("message", (event: MessageEvent<HashReply>) => this.#reply(event.data));
    this.#worker.addEventListener("error", (event) => this.#fail(new Error(`the hashing thread stopped: ${event.message || "it could not start"}`)));
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  newId(): number {
    return this.#nextId++;
  }

  post(request: HashRequest, transfer: Transferable[] = []): void {
    if (this.#failure) throw this.#failure;
    this.#worker.postMessage(request, transfer);
  }

  /** Sends as much of `data` as free slots take; returns how much that was. */
  send(id: number, data: Uint8Array): number {
    let sent = 0;
    while (sent < data.length) {
      const slot = this.#free.pop() ?? (this.#slots < SLOTS ? (this.#slots++, new ArrayBuffer(SLOT)) : undefined);
      if (slot === undefined) break;
      const n = Math.min(SLOT, data.length - sent);
      const view = new Uint8Array(slot, 0, n);
      view.set(data.subarray(sent, sent + n));
      this.post({ op: "update", id, data: view }, [slot]);
      sent += n;
    }
    return sent;
  }

  /** Resolves when a slot is back (or the thread failed). */
  slotBack(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve) => this.#slotWaiters.push(resolve));
  }

  ask(request: HashRequest): Promise<HashReply> {
    return new Promise((resolve, reject) => {
      const due = this.#answers.get(request.id);
      if (due) due.push({ resolve, reject });
      else this.#answers.set(request.id, [{ resolve, reject }]);
      try {
        this.post(request);
      } catch (error) {
        reject(error as Error);
      }
    });
  }

  #reply(reply: HashReply): void {
    if ("hashed" in reply) {
      this.#free.push(reply.slot);
      for (const wake of this.#slotWaiters.splice(0)) wake();
      return;
    }
    const due = this.#answers.get(reply.id);
    const answer = due?.shift();
    if (due?.length === 0) this.#answers.delete(reply.id);
    if (answer === undefined) {
      if ("error" in reply) this.#fail(new Error(`hashing failed: ${reply.error}`));
    } else if ("error" in reply) {
      answer.reject(new Error(`hashing failed: ${reply.error}`));
    } else {
      answer.resolve(reply);
    }
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const due of this.#answers.values()) for (const answer of due) answer.reject(error);
    this.#answers.clear();
    for (const wake of this.#slotWaiters.splice(0)) wake();
  }
}

type Queued =
  | { kind: "update"; data: Uint8Array; sent: number; done(): void; fail(error: unknown): void }
  | { kind: "ask"; post(): void; fail(error: unknown): void };

class RemoteHasher implements BlobHasher {
  readonly #thread: HashThread;
  readonly #id: number;
  /** Loads a saved state here first, so a bad one fails at load() as with a local hasher (shared: load() is synchronous). */
  readonly #check: IHasher;
  /**
   * What waits for slots, in call order: while anything does, later calls queue behind
   * it, so the thread sees this hasher's updates, saves and digest in the order called.
   */
  readonly #queue: Queued[] = [];
  #draining = false;

  constructor(thread: HashThread, check: IHasher) {
    this.#thread = thread;
    this.#id = thread.newId();
    this.#check = check;
    dropped.register(this, { thread, id: this.#id });
  }

  init(): this {
    this.#thread.post({ op: "init", id: this.#id });
    return this;
  }

  update(data: Uint8Array): Promise<void> | undefined {
    if (this.#thread.failure) throw this.#thread.failure;
    const sent = this.#draining ? 0 : this.#thread.send(this.#id, data);
    if (sent === data.length) return undefined;
    return new Promise((done, fail) => {
      this.#queue.push({ kind: "update", data, sent, done, fail });
      if (!this.#draining) void this.#drain();
    });
  }

  load(state: Uint8Array): this {
    this.#check.init();
    this.#check.load(state);
    this.#thread.post({ op: "load", id: this.#id, state: state.slice() });
    return this;
  }

  /** A range read whole (a Blob): read back and hashed on the thread; resolves once hashed. */
  async updateHeld(held: HeldBytes): Promise<void> {
    const reply = await this.#ask({ op: "updateHeld", id: this.#id, blob: asBlob(held) });
    if (!("heldHashed" in reply)) throw new Error("the hashing thread did not hash a held range");
    if (reply.stalled) heldSoFar.stalled++;
  }

  async save(): Promise<Uint8Array> {
    const reply = await this.#ask({ op: "save", id: this.#id });
    if (!("saved" in reply)) throw new Error("the hashing thread did not save");
    return reply.saved;
  }

  async digest(): Promise<string> {
    const reply = await this.#ask({ op: "digest", id: this.#id });
    if (!("hex" in reply)) throw new Error("the hashing thread gave no digest");
    return reply.hex;
  }

  #ask(request: HashRequest): Promise<HashReply> {
    if (!this.#draining) return this.#thread.ask(request);
    return new Promise((resolve, fail) => {
      this.#queue.push({ kind: "ask", post: () => void this.#thread.ask(request).then(resolve, fail), fail });
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      for (let next = this.#queue[0]; next !== undefined; next = this.#queue[0]) {
        if (next.kind === "update") {
          while (next.sent < next.data.length) {
            next.sent += this.#thread.send(this.#id, next.data.subarray(next.sent));
            if (next.sent < next.data.length) await this.#thread.slotBack();
          }
          this.#queue.shift();
          next.done();
        } else {
          this.#queue.shift();
          next.post();
        }
      }
    } catch (error) {
      for (const queued of this.#queue.splice(0)) queued.fail(error);
    } finally {
      this.#draining = false;
    }
  }
}

/** A hasher the engine let go of before its digest (a paused download) is freed in the thread. */
const dropped = new FinalizationRegistry<{ thread: HashThread; id: number }>(({ thread, id }) => {
  if (thread.failure === undefined) thread.post({ op: "drop", id });
});

let thread: HashThread | undefined;
/** One local hasher checks every saved state loaded (init and load run at once, never interleaved). */
let checker: Promise<IHasher> | undefined;

/** SHA-256 on the hashing thread (started on first use), or here where no worker can start. */
export const remoteSHA256: BlobHasherFactory = async () => {
  if (typeof Worker !== "function") {
    const local = await createSHA256();
    return Object.assign(local, {
      updateHeld: async (held: HeldBytes) => {
        if ((await hashBlob(local, asBlob(held))).stalled) heldSoFar.stalled++;
      },
    });
  }
  if (thread === undefined || thread.failure !== undefined) thread = new HashThread();
  checker ??= createSHA256();
  return new RemoteHasher(thread, await checker);
};
