// Blob verification while the bytes stream past, written once for every reader of
// content-addressed data (the proxy's cache fill, the Worker's tar download, the
// explorer's saved layers). It checks the size as well as the sha256, and it holds back
// the last chunk until both are known, so a corrupt, short or long blob never reaches
// its consumer as a clean end: the consumer sees an error instead of a finished file.
//
// The hasher is passed in: hash-wasm's `createSHA256` in browsers and Node, the runtime's
// native DigestStream in a Worker (which may not compile WebAssembly from bytes).
import { DockerdlError } from "./errors.ts";
import type { HeldBytes } from "./http.ts";

export interface ExpectedBlob {
  /** sha256:<64 hex>. */
  digest: string;
  size: number;
}

/**
 * Incremental SHA-256, for verifying here and in the download engine (shared/engine/).
 * hash-wasm's is one as it is; an adapter over a native digest stream (the Worker's) may
 * be async in both steps and has only update and digest. A fresh hasher is ready to use.
 * The engine uses more where a hasher has it: `init` to start over, and `save`/`load`,
 * so a resumed download continues hashing where it stopped; a hasher without save/load
 * works too (Node's faster native one): a resumed blob is then hashed again by reading
 * back what was written (random-access sinks with `read`), or refetched (without).
 * A hasher may work in another thread: update() may then return a promise, which the
 * engine awaits before its next update (backpressure), and digest() and save() may
 * answer with promises, which must reflect every update called before them. update()
 * must be done with `data` (a copy taken, or the bytes hashed) once what it returned
 * has settled: the engine reuses the buffer after that.
 */
export interface BlobHasher {
  init?(): unknown;
  update(data: Uint8Array): unknown;
  /** Hashes bytes the runtime holds (shared/http.ts's HeldBytes), as update() would; needed by engines whose sink has writeHeld. */
  updateHeld?(held: HeldBytes): unknown;
  digest(outputType?: "hex"): string | Promise<string>;
  save?(): Uint8Array | Promise<Uint8Array>;
  load?(state: Uint8Array): unknown;
}

export type BlobProblem = "too long" | "too short" | "sha256 differs";

/** The blob is not the one its digest and size name; `problem` says how. */
export class BlobMismatchError extends DockerdlError {
  readonly problem: BlobProblem;

  constructor(problem: BlobProblem, message: string) {
    super(problem === "sha256 differs" ? "DIGEST_MISMATCH" : "SIZE_MISMATCH", message, {
      hint: "the data was damaged on the way or its source holds other bytes; try again",
    });
    this.name = "BlobMismatchError";
    this.problem = problem;
  }
}

/**
 * The check itself, for callers that move chunks on their own. `push` takes each chunk
 * and returns the bytes that may be passed on now (the chunk before it); `finish`, at
 * the end of the source, returns the held-back last chunk once size and digest match.
 * Both throw BlobMismatchError as soon as the blob is known to be wrong.
 */
export class BlobVerifier {
  readonly #expected: ExpectedBlob;
  readonly #hasher: BlobHasher;
  readonly #what: string;
  #received = 0;
  #held: Uint8Array | undefined;

  constructor(expected: ExpectedBlob, hasher: BlobHasher, what = `blob ${expected.digest}`) {
    this.#expected = expected;
    this.#hasher = hasher;
    this.#what = what;
  }

  async push(chunk: Uint8Array): Promise<Uint8Array | undefined> {
    if (chunk.byteLength === 0) return undefined;
    this.#received += chunk.byteLength;
    if (this.#received > this.#expected.size) {
      throw new BlobMismatchError("too long", `${this.#what} is longer than its ${this.#expected.size} bytes`);
    }
    await this.#hasher.update(chunk);
    const ready = this.#held;
    this.#held = chunk;
    return ready;
  }

  async finish(): Promise<Uint8Array | undefined> {
    const { digest, size } = this.#expected;
    if (this.#received < size) {
      throw new BlobMismatchError("too short", `${this.#what} ended after ${this.#received} of its ${size} bytes`);
    }
    const actual = `sha256:${await this.#hasher.digest("hex")}`;
    if (actual !== digest) {
      throw new BlobMismatchError("sha256 differs", `${this.#what} is corrupt: expected ${digest}, but the data received hashes to ${actual}`);
    }
    const last = this.#held;
    this.#held = undefined;
    return last;
  }
}

/** `source`'s chunks, verified: the last one comes only after the whole blob checked out. */
export async function* verifiedChunks(source: AsyncIterable<Uint8Array>, expected: ExpectedBlob, hasher: BlobHasher, what?: string): AsyncGenerator<Uint8Array> {
  const verifier = new BlobVerifier(expected, hasher, what);
  for await (const chunk of source) {
    const ready = await verifier.push(chunk);
    if (ready) yield ready;
  }
  const last = await verifier.finish();
  if (last) yield last;
}

export interface VerifiedStreamOptions {
  what?: string;
  /** Called once the whole blob has checked out, before the stream closes. */
  onMatch?(): void;
  /** Called on a mismatch; an Error it returns is what the stream fails with instead. */
  onMismatch?(mismatch: BlobMismatchError): Error | void;
}

/**
 * `source` as a verified stream: it ends cleanly only if the bytes are the blob's, and
 * fails (cancelling `source`) as soon as they are known not to be.
 */
export function verifiedStream(
  source: ReadableStream<Uint8Array>,
  expected: ExpectedBlob,
  createHasher: () => BlobHasher | Promise<BlobHasher>,
  options: VerifiedStreamOptions = {},
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let verifier: BlobVerifier;
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    async start() {
      verifier = new BlobVerifier(expected, await createHasher(), options.what);
    },
    async pull(controller) {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (cancelled) return;
          if (done || value === undefined) {
            const last = await verifier.finish();
            if (last) controller.enqueue(last);
            options.onMatch?.();
            controller.close();
            return;
          }
          const ready = await verifier.push(value);
          if (ready) return controller.enqueue(ready);
        }
      } catch (error) {
        await reader.cancel(error).catch(() => {});
        controller.error(error instanceof BlobMismatchError ? (options.onMismatch?.(error) ?? error) : error);
      }
    },
    cancel(reason) {
      cancelled = true;
      return reader.cancel(reason);
    },
  });
}
