// Reading a range held in the browser (a Blob) back for hashing: through its stream, and
// where that stream stalls or fails, the rest through slice() and arrayBuffer(), with
// nothing hashed twice or skipped (web/workers/download/hash-blob.ts).
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hashBlob } from "../../web/workers/download/hash-blob.ts";

const bytes = randomBytes(3 * (1 << 20) + 12345);
const want = createHash("sha256").update(bytes).digest("hex");

/** A Blob of `bytes` whose stream gives the first `before` bytes and then does `then`. */
class TroubledBlob extends Blob {
  readonly #before: number;
  readonly #then: "stall" | "fail" | "end";
  readonly #sliceStalls: boolean;
  constructor(before: number, then: "stall" | "fail" | "end", sliceStalls = false) {
    super([bytes]);
    this.#before = before;
    this.#then = then;
    this.#sliceStalls = sliceStalls;
  }

  override stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    let at = 0;
    const before = this.#before;
    const then = this.#then;
    return new ReadableStream({
      type: "bytes",
      pull(controller) {
        const request = controller.byobRequest!;
        const view = request.view as Uint8Array;
        if (at < before) {
          const n = Math.min(view.byteLength, before - at);
          view.set(bytes.subarray(at, at + n));
          at += n;
          request.respond(n);
        } else if (then === "fail") {
          controller.error(new TypeError("the blob file went away"));
        } else if (then === "end") {
          controller.close();
          request.respond(0);
        }
        // "stall": never answers
      },
    });
  }

  override slice(start?: number, end?: number): Blob {
    if (!this.#sliceStalls) return super.slice(start, end);
    return { arrayBuffer: () => new Promise<ArrayBuffer>(() => {}) } as Blob;
  }
}

function hasher() {
  const h = createHash("sha256");
  let updates = 0;
  return { update: (data: Uint8Array) => (updates++, h.update(data)), hex: () => h.digest("hex"), updates: () => updates };
}

describe("hashBlob", () => {
  it("hashes a Blob through its stream, a reused 1 MiB buffer at a time", async () => {
    const h = hasher();
    expect(await hashBlob(h, new Blob([bytes]), 5_000)).toEqual({ stalled: false });
    expect(h.hex()).toBe(want);
    expect(h.updates()).toBeGreaterThanOrEqual(4);
  });

  it("gives up a stream that stalls and reads the rest with arrayBuffer(), each byte hashed once", async () => {
    const h = hasher();
    expect(await hashBlob(h, new TroubledBlob(1 << 20, "stall"), 50)).toEqual({ stalled: true });
    expect(h.hex()).toBe(want);
  });

  it("reads the rest the same way when the stream fails partway", async () => {
    const h = hasher();
    expect(await hashBlob(h, new TroubledBlob(1 << 20, "fail"), 5_000)).toEqual({ stalled: true });
    expect(h.hex()).toBe(want);
  });

  it("reads the rest of a stream that ends short", async () => {
    const h = hasher();
    expect(await hashBlob(h, new TroubledBlob(2 << 20, "end"), 5_000)).toEqual({ stalled: true });
    expect(h.hex()).toBe(want);
  });

  it("fails, saying so, when the other way stalls too", async () => {
    await expect(hashBlob(hasher(), new TroubledBlob(1 << 20, "stall", true), 50)).rejects.toThrow(/brought nothing for 0.05 s/);
  });
});
