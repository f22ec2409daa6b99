// Benchmark images: layers of random data (gzip cannot shrink them) built once as
// real gzip'd tars on disk, pushed once to a registry whose storage lives under
// bench/.cache and is reused by later runs. Streams throughout: a 2 GiB layer never
// sits in memory.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { imageConfig, imageManifest, oneFileTar } from "../test/harness/image-pieces.ts";
import { blobUploadUrl, hasBlob, openPusher, pushManifest } from "../test/harness/registry-push.ts";

export interface BenchImage {
  repository: string;
  tag: string;
  /** Sum of the layer blobs, what every tool must move. */
  layerBytes: number;
  layers: { digest: string; size: number }[];
}

interface LayerFile {
  digest: string;
  size: number;
  diffId: string;
  path: string;
}

/** A gzip'd tar holding one file of `size` random bytes. */
async function buildLayer(dir: string, name: string, size: number): Promise<LayerFile> {
  const path = join(dir, `${name}.tar.gz`);
  const meta = `${path}.json`;
  if (existsSync(meta) && existsSync(path)) return JSON.parse(readFileSync(meta, "utf8")) as LayerFile;
  const diff = createHash("sha256");
  const blob = createHash("sha256");
  async function* random(): AsyncGenerator<Uint8Array> {
    for (let left = size; left > 0;) {
      const piece = randomBytes(Math.min(left, 1 << 20));
      left -= piece.length;
      yield piece;
    }
  }
  const tar = oneFileTar(`${name}.bin`, size, random(), (bytes) => diff.update(bytes));
  const hashing = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      blob.update(chunk);
      yield chunk;
    }
  };
  await pipeline(Readable.from(tar), createGzip({ level: 1 }), hashing, createWriteStream(path));
  const layer = { digest: `sha256:${blob.digest("hex")}`, diffId: `sha256:${diff.digest("hex")}`, size: statSync(path).size, path };
  writeFileSync(meta, JSON.stringify(layer));
  return layer;
}

async function pushBlobFile(registry: string, repository: string, digest: string, file: string): Promise<void> {
  const pusher = openPusher(registry);
  if (await hasBlob(pusher, repository, digest)) return;
  const location = await blobUploadUrl(pusher, repository, digest);
  // curl streams the file; fetch would need the whole body or duplex streaming.
  execFileSync("curl", ["-sSf", "-X", "PUT", "-H", "Content-Type: application/octet-stream", "-T", file, location.href], { stdio: "inherit" });
}

/** Builds (or reuses) and pushes an image of `layerSizes` random layers; returns what was pushed. */
export async function ensureImage(registry: string, cacheDir: string, repository: string, layerSizes: number[]): Promise<BenchImage> {
  const dir = join(cacheDir, "layers", repository.replace(/\//g, "_"));
  mkdirSync(dir, { recursive: true });
  const layers: LayerFile[] = [];
  for (const [i, size] of layerSizes.entries()) {
    process.stdout.write(`  layer ${i + 1}/${layerSizes.length} of ${repository} (${(size / 2 ** 20).toFixed(0)} MiB)…\n`);
    layers.push(await buildLayer(dir, `layer-${i}-${size}`, size));
  }
  const config = imageConfig({ diffIds: layers.map((l) => l.diffId), config: { Cmd: ["/bin/sh"] }, createdBy: () => "bench" });
  const configDigest = `sha256:${createHash("sha256").update(config).digest("hex")}`;
  const manifest = imageManifest("docker", { digest: configDigest, size: config.length }, layers);
  const tag = "v1";
  for (const l of layers) await pushBlobFile(registry, repository, l.digest, l.path);
  const configFile = join(dir, "config.json");
  writeFileSync(configFile, config);
  await pushBlobFile(registry, repository, configDigest, configFile);
  await pushManifest(openPusher(registry), repository, tag, manifest.bytes, manifest.mediaType);
  return { repository, tag, layerBytes: layers.reduce((n, l) => n + l.size, 0), layers: layers.map((l) => ({ digest: l.digest, size: l.size })) };
}
