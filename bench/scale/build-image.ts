// The scale image, written straight into the test registry's storage (distribution's
// filesystem layout) instead of pushed through its API: one uncompressed tar layer of
// incompressible bytes larger than 9 GiB and a few gzip'd ones. Data comes from
// AES-CTR over a zero buffer (fast, incompressible, deterministic), streamed through
// sha256 to disk in 1 MiB pieces, so memory stays flat whatever the size. Only the
// config and the manifest go through the registry API, which also proves the registry
// accepts the blobs it finds on disk.
import { createCipheriv, createHash } from "node:crypto";
import { createWriteStream, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { OCI_LAYER, OCI_LAYER_GZIP } from "../../shared/media-types.ts";
import { imageConfig, imageManifest, oneFileTar } from "../../test/harness/image-pieces.ts";
import { openPusher, pushBlob, pushManifest } from "../../test/harness/registry-push.ts";
const PIECE = 1 << 20;

export interface ScaleLayer {
  digest: string;
  size: number;
  mediaType: string;
  diffId: string;
}

export interface ScaleImage {
  repository: string;
  tag: string;
  layers: ScaleLayer[];
  /** The uncompressed layer larger than 9 GiB (at full size). */
  big: ScaleLayer;
  layerBytes: number;
}

/** Incompressible bytes: AES-128-CTR of zeros, keyed by `seed`. */
async function* noise(seed: string, length: number): AsyncGenerator<Buffer> {
  const key = createHash("sha256").update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  const zeros = Buffer.alloc(PIECE);
  for (let left = length; left > 0; left -= PIECE) {
    yield cipher.update(left >= PIECE ? zeros : zeros.subarray(0, left));
  }
}

/** A tar holding one file of `size` noise bytes; `hash` sees every byte (the diff_id). */
function tarOfNoise(seed: string, size: number, hash: ReturnType<typeof createHash>): AsyncGenerator<Uint8Array> {
  return oneFileTar(`${seed}.bin`, size, noise(seed, size), (bytes) => hash.update(bytes));
}

function blobsDir(storage: string): string {
  return join(storage, "docker", "registry", "v2");
}

/** Streams `source` into the registry's blob store and links it into `repository`. */
async function storeBlob(storage: string, repository: string, source: AsyncIterable<Uint8Array> | Readable, name: string): Promise<{ digest: string; size: number }> {
  const root = blobsDir(storage);
  const temp = join(root, `incoming-${name}`);
  mkdirSync(root, { recursive: true });
  const hash = createHash("sha256");
  let size = 0;
  await pipeline(source, async function* (chunks: AsyncIterable<Uint8Array>) {
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.byteLength;
      yield chunk;
    }
  }, createWriteStream(temp, { highWaterMark: 4 * PIECE }));
  const hex = hash.digest("hex");
  const dir = join(root, "blobs", "sha256", hex.slice(0, 2), hex);
  mkdirSync(dir, { recursive: true });
  renameSync(temp, join(dir, "data"));
  const link = join(root, "repositories", repository, "_layers", "sha256", hex);
  mkdirSync(link, { recursive: true });
  writeFileSync(join(link, "link"), `sha256:${hex}`);
  return { digest: `sha256:${hex}`, size };
}

async function bigLayer(storage: string, repository: string, size: number): Promise<ScaleLayer> {
  const diff = createHash("sha256");
  const stored = await storeBlob(storage, repository, tarOfNoise("big", size, diff), "big");
  return { ...stored, mediaType: OCI_LAYER, diffId: `sha256:${diff.digest("hex")}` };
}

async function gzipLayer(storage: string, repository: string, index: number, size: number): Promise<ScaleLayer> {
  const diff = createHash("sha256");
  // Level 0 (stored blocks): the data is incompressible anyway, and searching it for
  // matches at level 1 took most of the build on 2 busy cores. Still a real gzip stream
  // that every client has to decompress to check its diff_id.
  const gzipped = Readable.from(tarOfNoise(`small-${index}`, size, diff)).pipe(createGzip({ level: 0 }));
  const stored = await storeBlob(storage, repository, gzipped, `small-${index}`);
  return { ...stored, mediaType: OCI_LAYER_GZIP, diffId: `sha256:${diff.digest("hex")}` };
}

/**
 * Builds the image into `storage` (the registry's rootdirectory) and tags it through
 * `registry`: a big uncompressed layer of `bigSize` file bytes, then gzip'd layers of
 * `smallSizes` file bytes each. The layers are written concurrently (gzip on the thread
 * pool, the big one on the main thread).
 */
export async function buildScaleImage(registry: string, storage: string, repository: string, bigSize: number, smallSizes: number[]): Promise<ScaleImage> {
  const [big, ...small] = await Promise.all([bigLayer(storage, repository, bigSize), ...smallSizes.map((s, i) => gzipLayer(storage, repository, i, s))]);
  const layers = [big, ...small];
  const config = imageConfig({ diffIds: layers.map((l) => l.diffId), config: { Cmd: ["/bin/sh"] }, createdBy: () => "dockerdl scale run" });
  const pusher = openPusher(registry);
  const configDigest = `sha256:${createHash("sha256").update(config).digest("hex")}`;
  await pushBlob(pusher, repository, { digest: configDigest, bytes: config });
  const tag = "v1";
  const manifest = imageManifest("oci", { digest: configDigest, size: config.length }, layers);
  await pushManifest(pusher, repository, tag, manifest.bytes, manifest.mediaType);
  return { repository, tag, layers, big, layerBytes: layers.reduce((n, l) => n + l.size, 0) };
}
