// An image's layers as tar entries, for browsing and exporting: each layer comes from
// an image tar this browser saved that holds it (saved-layers.ts), else from this
// browser's layer cache when it holds it, otherwise from the proxy through the
// download engine (parallel ranged fetches, retries, sha256 verified as it streams),
// stored in the cache on the way. Gzip goes through DecompressionStream; a zstd layer
// fails with a message naming it (browsers cannot decompress zstd).
import { createSHA256 } from "hash-wasm";
import { downloadArchive, registryBlobSource } from "../../../shared/engine/index.ts";
import { DockerdlError } from "../../../shared/errors.ts";
import { readerChunks } from "../../../shared/http.ts";
import { normalizeTarPath } from "../../../shared/rootfs.ts";
import type { RegistryClient, ResolvedImage } from "../../../shared/registry/client.ts";
import { readTar, type TarReadItem } from "../../../shared/tar-reader.ts";
import { cachedLayer, storeLayer } from "./layer-cache.ts";
import type { SavedFile } from "../../lib/db.ts";
import { SAVED_MISMATCH, SavedLayers, savedMismatch } from "./saved-layers.ts";

export type LayerOrigin = { source: "cache" | "network" } | { source: "saved"; fileName: string };

export interface ReadStats {
  /** Layers fetched from the network, read from the cache, and read from a saved file, by this operation. */
  fetched: number;
  cached: number;
  saved: number;
  /** Compressed bytes read so far. */
  bytes: number;
}

export const newStats = (): ReadStats => ({ fetched: 0, cached: 0, saved: 0, bytes: 0 });

export function zstdSupported(): boolean {
  try {
    new DecompressionStream("zstd" as CompressionFormat);
    return true;
  } catch {
    return false;
  }
}

function zstdError(index: number, digest: string): DockerdlError {
  return new DockerdlError("UNSUPPORTED_LAYER", `layer ${index + 1} (${digest}) is compressed with zstd, which this browser cannot decompress`, {
    hint: "download the image as a tar instead and unpack it with docker, podman or `tar --zstd`, or pick a tag built with gzip layers",
    params: { layer: String(index + 1), digest },
  });
}

/** Fails before any download when a layer is zstd and this browser cannot read it. */
export function checkLayersDecompressible(image: ResolvedImage): void {
  image.layers.forEach((layer, index) => {
    if (/zstd/i.test(layer.mediaType) && !zstdSupported()) throw zstdError(index, layer.digest);
  });
}

export class LayerSource {
  readonly #client: RegistryClient;
  readonly #image: ResolvedImage;
  /** Cache writes still running, so a second read waits for the first one's copy. */
  readonly #storing = new Map<string, Promise<boolean>>();
  readonly saved = new SavedLayers();

  constructor(client: RegistryClient, image: ResolvedImage) {
    this.#client = client;
    this.#image = image;
  }

  get image(): ResolvedImage {
    return this.#image;
  }

  /** A layer's compressed bytes, whole and verified (or the stream errors). */
  async compressed(index: number, stats: ReadStats, signal: AbortSignal): Promise<{ stream: ReadableStream<Uint8Array>; origin: LayerOrigin; saved?: SavedFile }> {
    const layer = this.#image.layers[index];
    const saved = await this.saved.open(layer.digest, layer.size);
    if (saved) {
      stats.saved++;
      return { stream: saved.stream, origin: { source: "saved", fileName: saved.record.fileName }, saved: saved.record };
    }
    await this.#storing.get(layer.digest);
    const cached = await cachedLayer(layer.digest, layer.size);
    if (cached) {
      stats.cached++;
      return { stream: cached, origin: { source: "cache" } };
    }
    stats.fetched++;
    const fetched = this.#fetchVerified(index, signal);
    const [forReader, forCache] = split(fetched);
    const keep = this.#image.layers.map((l) => l.digest);
    const storing = storeLayer(layer.digest, layer.size, forCache, keep).finally(() => this.#storing.delete(layer.digest));
    this.#storing.set(layer.digest, storing);
    return { stream: forReader, origin: { source: "network" } };
  }

  /** Waits until every layer fetched so far is in the cache (or failed to get there). */
  async settled(): Promise<void> {
    await Promise.all([...this.#storing.values()]);
  }

  /**
   * The layer's tar entries. Reading to the end drains the stream, so the layer is
   * verified (and cached) before the generator finishes; stopping early cancels it.
   * A layer from a saved file that turns out wrong (or unreadable) ends with a
   * SAVED_FILE_CHANGED error after its file is forgotten: reading it again goes to the
   * cache or the network.
   */
  async *items(index: number, stats: ReadStats, signal: AbortSignal, onSource?: (origin: LayerOrigin) => void): AsyncGenerator<TarReadItem> {
    const { stream, origin, saved } = await this.compressed(index, stats, signal);
    onSource?.(origin);
    if (!saved) {
      yield* this.#items(index, stream, stats, signal);
      return;
    }
    try {
      yield* this.#items(index, stream, stats, signal);
    } catch (error) {
      if (signal.aborted || savedMismatch(error) || (error instanceof DockerdlError && error.code === "UNSUPPORTED_LAYER")) throw error;
      // Bytes that do not decompress or parse: the file changed under its record.
      const digest = this.#image.layers[index].digest;
      await this.saved.drop(saved, digest);
      throw new DockerdlError(SAVED_MISMATCH, `the saved file ${saved.fileName} no longer holds layer ${digest}`, { cause: error });
    }
  }

  async *#items(index: number, stream: ReadableStream<Uint8Array>, stats: ReadStats, signal: AbortSignal): AsyncGenerator<TarReadItem> {
    const counted = stream.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        stats.bytes += chunk.length;
        controller.enqueue(chunk);
      },
    }), { signal });
    const tar = await decompressed(counted, index, this.#image.layers[index].digest);
    const reader = tar.getReader();
    let finished = false;
    try {
      yield* readTar(readerChunks(reader));
      while (!(await reader.read()).done) {
        // padding after the end-of-archive marker
      }
      finished = true;
    } finally {
      if (!finished) await reader.cancel().catch(() => {});
      reader.releaseLock();
    }
  }

  /** One regular file's bytes, read from the layer that holds it. */
  async *file(layer: number, path: string, stats: ReadStats, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    for await (const item of this.items(layer, stats, signal)) {
      if (item.entry.type === "file" && normalizeTarPath(item.entry.name) === path) {
        yield* item.body();
        return;
      }
    }
    throw new DockerdlError("NOT_FOUND", `${path} is not in layer ${layer + 1}`, { hint: "this is a bug in dockerdl's explorer" });
  }

  #fetchVerified(index: number, signal: AbortSignal): ReadableStream<Uint8Array> {
    const layer = this.#image.layers[index];
    // Backpressure: the engine's write resolves only when the reader has taken the bytes.
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    downloadArchive({
      plan: { segments: [{ kind: "blob", key: layer.digest, offset: 0, size: layer.size }], totalSize: layer.size },
      source: registryBlobSource(this.#client, this.#image),
      sink: { kind: "sequential", write: (bytes) => writer.write(bytes) },
      createHasher: createSHA256,
      connections: 4,
      memoryBudget: 32 << 20,
      signal,
    }).then(
      () => writer.close(),
      (error: unknown) => writer.abort(error).catch(() => {}),
    );
    return readable;
  }
}

/**
 * Two readers of one stream, paced by the slower (ReadableStream.tee would buffer the
 * whole layer in memory when one side lags). Only the first reader's cancel stops both.
 */
function split(source: ReadableStream<Uint8Array>): [ReadableStream<Uint8Array>, ReadableStream<Uint8Array>] {
  const strategy = () => new CountQueuingStrategy({ highWaterMark: 4 });
  const main = new TransformStream<Uint8Array, Uint8Array>(undefined, strategy());
  const side = new TransformStream<Uint8Array, Uint8Array>(undefined, strategy());
  const mainWriter = main.writable.getWriter();
  const sideWriter = side.writable.getWriter();
  void (async () => {
    const reader = source.getReader();
    let sideAlive = true;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        await mainWriter.ready;
        void mainWriter.write(value).catch(() => {});
        if (sideAlive) {
          try {
            await sideWriter.ready;
            void sideWriter.write(value).catch(() => {});
          } catch {
            sideAlive = false;
          }
        }
      }
      await mainWriter.close();
      if (sideAlive) await sideWriter.close().catch(() => {});
    } catch (error) {
      await reader.cancel(error).catch(() => {});
      await mainWriter.abort(error).catch(() => {});
      await sideWriter.abort(error).catch(() => {});
    }
  })();
  return [main.readable, side.readable];
}

/** The layer's tar: gzip is recognised by its magic bytes (media types are not always right). */
async function decompressed(stream: ReadableStream<Uint8Array>, index: number, digest: string): Promise<ReadableStream<Uint8Array>> {
  const reader = stream.getReader();
  const head: Uint8Array[] = [];
  let length = 0;
  let ended = false;
  while (length < 4) {
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    head.push(value);
    length += value.length;
  }
  const first = new Uint8Array(length);
  let at = 0;
  for (const part of head) {
    first.set(part, at);
    at += part.length;
  }
  const rest = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.length) controller.enqueue(first);
      if (ended) controller.close();
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  if (first[0] === 0x1f && first[1] === 0x8b) return rest.pipeThrough(new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>);
  if (first[0] === 0x28 && first[1] === 0xb5 && first[2] === 0x2f && first[3] === 0xfd) {
    if (!zstdSupported()) {
      await rest.cancel().catch(() => {});
      throw zstdError(index, digest);
    }
    return rest.pipeThrough(new DecompressionStream("zstd" as CompressionFormat) as unknown as TransformStream<Uint8Array, Uint8Array>);
  }
  return rest;
}
