// The download worker's SHA-256 thread (remote-hasher.ts is its other end): one hash-wasm
// hasher per layer, by id, fed in the order the messages come. Each update is answered
// with its byte count once hashed, so the sender can hold back; save and digest are
// answered with their result, an unknown id or a failure with its message.
import { createSHA256, type IHasher } from "hash-wasm";
import { hashBlob } from "./hash-blob.ts";
import type { HashReply, HashRequest } from "./hash-protocol.ts";

declare const self: DedicatedWorkerGlobalScope;

const hashers = new Map<number, Promise<IHasher>>();

async function handle(m: HashRequest): Promise<HashReply | undefined> {
  if (m.op === "init") {
    hashers.set(m.id, createSHA256().then((h) => h.init()));
    return undefined;
  }
  if (m.op === "drop") {
    // Also for one already digested: the sender's end outlived it.
    hashers.delete(m.id);
    return undefined;
  }
  const hasher = hashers.get(m.id);
  if (hasher === undefined) return { id: m.id, error: `no hasher ${m.id}` };
  const h = await hasher;
  switch (m.op) {
    case "update":
      h.update(m.data);
      return { id: m.id, hashed: m.data.length, slot: m.data.buffer as ArrayBuffer };
    case "updateHeld":
      return { id: m.id, heldHashed: m.blob.size, stalled: (await hashBlob(h, m.blob)).stalled };
    case "load":
      h.load(m.state);
      return undefined;
    case "save":
      return { id: m.id, saved: h.save() };
    case "digest":
      hashers.delete(m.id);
      return { id: m.id, hex: h.digest("hex") };
  }
}

// One message at a time, in order: an update must not overtake the one before it
// while its hasher is still being created.
let queue = Promise.resolve();
self.addEventListener("message", (event: MessageEvent<HashRequest>) => {
  const m = event.data;
  queue = queue.then(async () => {
    try {
      const reply = await handle(m);
      if (reply !== undefined) self.postMessage(reply, "slot" in reply ? [reply.slot] : []);
    } catch (error) {
      self.postMessage({ id: m.id, error: error instanceof Error ? error.message : String(error) } satisfies HashReply);
    }
  });
});
