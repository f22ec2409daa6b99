// Test doubles for the download engine's unit tests: an image of random layers held in
// memory, a source serving its blobs in small pieces with faults on demand, sinks of
// both kinds, a Node hasher, and one that answers later as one in another thread does.
import { createHash } from "node:crypto";
import { createSHA256 } from "hash-wasm";
import type { BlobSource, BlobHasher, RandomAccessSink, SequentialSink } from "../../shared/engine/index.ts";
import type { HttpBody } from "../../shared/http.ts";
import type { ArchiveImage } from "../../shared/image-archive.ts";
import { RegistryError } from "../../shared/registry/errors.ts";

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

function randomBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** An image whose layers are random bytes of `layerSizes`, and its blobs by digest. */
export function image(layerSizes: number[]): { image: ArchiveImage; blobs: Map<string, Uint8Array> } {
  const blobs = new Map<string, Uint8Array>();
  const layers = layerSizes.map((size, i) => {
    const bytes = randomBytes(i + 1, size);
    const digest = sha256(bytes);
    blobs.set(digest, bytes);
    return { digest, size, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" };
  });
  const config = new TextEncoder().encode(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) } }));
  const manifest = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, layers }));
  return {
    image: {
      repoTags: ["test/engine:v1"],
      manifest: { bytes: manifest, digest: sha256(manifest), mediaType: "application/vnd.oci.image.manifest.v1+json" },
      config: { bytes: config, digest: sha256(config) },
      layers,
    },
    blobs,
  };
}

/** "corrupt" flips the first byte of the range, "corrupt-last" its last (a different lie). */
type Fault = (digest: string, start: number, end: number, call: number) => "reset" | "truncate" | "corrupt" | "corrupt-last" | "503" | "429" | "404" | undefined;

/**
 * Serves ranges from memory in small pieces, yielding between them so chunks interleave.
 * `bodies` wraps each range's stream (a byte stream then: type "bytes").
 */
export function memorySource(
  blobs: Map<string, Uint8Array>, fault: Fault = () => undefined, bodies?: (stream: ReadableStream<Uint8Array>) => HttpBody,
): BlobSource & { fetched: number; calls: number } {
  const source = {
    fetched: 0,
    calls: 0,
    async fetchRange(digest: string, start: number, end: number): Promise<HttpBody> {
      const call = source.calls++;
      const bytes = blobs.get(digest);
      if (!bytes) throw new Error(`no blob ${digest}`);
      const f = fault(digest, start, end, call);
      if (f === "503") throw new RegistryError("UPSTREAM", "registry answered 503", { status: 503 });
      if (f === "429") throw new RegistryError("RATE_LIMITED", "slow down", { status: 429, retryAfterMs: 20 });
      if (f === "404") throw new RegistryError("NOT_FOUND", `blob ${digest} was not found`, { status: 404 });
      const stop = f === "reset" || f === "truncate" ? start + Math.floor((end - start) / 2) : end;
      let at = start;
      const pull = async (controller: {
        enqueue(piece: Uint8Array<ArrayBuffer>): void; error(error: unknown): void; close(): void; byobRequest?: ReadableStreamBYOBRequest | null;
      }) => {
        // Deliberate: a macrotask between pieces, as a network gives, so parallel chunks interleave.
        await new Promise((r) => setTimeout(r, 0));
        if (at >= stop) {
          if (f === "reset") controller.error(new TypeError("terminated: other side closed"));
          else controller.close();
          // A byte stream's read waiting for bytes ends only when told none will come.
          controller.byobRequest?.respond(0);
          return;
        }
        const piece = bytes.slice(at, Math.min(stop, at + 4096 + (at % 3) * 1000));
        if (f === "corrupt" && at === start) piece[0] ^= 0xff;
        if (f === "corrupt-last" && at + piece.length === stop) piece[piece.length - 1] ^= 0xff;
        at += piece.length;
        source.fetched += piece.length;
        controller.enqueue(piece);
      };
      return bodies ? bodies(new ReadableStream({ type: "bytes", pull })) : new ReadableStream({ pull });
    },
  };
  return source;
}

/** A random-access sink over a buffer of `size`; `readable` lets the engine read back what it wrote. */
export function memorySink(size: number, readable: boolean): RandomAccessSink & { bytes: Uint8Array } {
  const bytes = new Uint8Array(size);
  const sink: RandomAccessSink & { bytes: Uint8Array } = {
    kind: "random-access",
    bytes,
    async write(position, data) {
      if (position + data.length > size) throw new RangeError("write past the end");
      bytes.set(data, position);
    },
  };
  if (readable) sink.read = async (position, length) => bytes.slice(position, position + length);
  return sink;
}

/** node:crypto's SHA-256, which cannot save its state: a resume has to read the layer back. */
export const nodeHasher = async (): Promise<BlobHasher> => {
  let h = createHash("sha256");
  return { init: () => (h = createHash("sha256")), update: (d) => h.update(d), digest: () => h.digest("hex") };
};

/**
 * A hasher as one in another thread behaves (the PWA's, web/workers/download/
 * remote-hasher.ts): update() takes a copy and hashes it later, answering with a promise
 * while more than `window` bytes wait; save() and digest() answer later, after every
 * update called before them. hash-wasm underneath, so its state can be saved and loaded.
 */
export function laterHasher(window = 10_000): () => Promise<BlobHasher> {
  return async () => {
    const h = await createSHA256();
    let queue = Promise.resolve();
    let waiting = 0;
    // Deliberate: each step on a later turn of the event loop, as a thread's answer would come.
    const later = <T>(work: () => T): Promise<T> => {
      const done = queue.then(() => new Promise<T>((resolve) => setImmediate(() => resolve(work()))));
      queue = done.then(() => {});
      return done;
    };
    return {
      init: () => h.init(),
      update(data) {
        const copy = data.slice();
        waiting += copy.length;
        const hashed = later(() => {
          h.update(copy);
          waiting -= copy.length;
        });
        return waiting > window ? hashed : undefined;
      },
      load: (state) => h.load(state),
      save: () => later(() => h.save()),
      digest: () => later(() => h.digest("hex")),
    };
  };
}

/** Retries and progress without waiting. */
export const fast = { baseDelayMs: 1, maxDelayMs: 5, progressIntervalMs: 0 };

/** A sink that takes the archive in order, keeping each piece written. */
export function streamSink(): SequentialSink & { parts: Uint8Array[] } {
  const parts: Uint8Array[] = [];
  // Deliberate: a consumer that yields on every write, like a stream with backpressure.
  return { kind: "sequential", parts, write: async (b) => { parts.push(b.slice()); await new Promise((r) => setTimeout(r, 0)); } };
}
