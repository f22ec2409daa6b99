// The messages between the download worker (remote-hasher.ts) and its SHA-256 thread
// (hash.worker.ts). Every request names its hasher by id; replies come in request order.
// An update's bytes lie in a slot (an ArrayBuffer transferred there and back).

export type HashRequest =
  | { op: "init"; id: number }
  | { op: "update"; id: number; data: Uint8Array }
  /** A range read whole (a Blob), read back and hashed there. */
  | { op: "updateHeld"; id: number; blob: Blob }
  | { op: "load"; id: number; state: Uint8Array }
  | { op: "save"; id: number }
  | { op: "digest"; id: number }
  | { op: "drop"; id: number };

export type HashReply =
  /** An update hashed: its slot, transferred back for the next one. */
  | { id: number; hashed: number; slot: ArrayBuffer }
  /** A Blob hashed: its size, and whether its stream stalled, failed or ended short and the rest was read another way (hash-blob.ts). */
  | { id: number; heldHashed: number; stalled: boolean }
  | { id: number; saved: Uint8Array }
  | { id: number; hex: string }
  | { id: number; error: string };
