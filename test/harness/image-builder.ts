// Builds small, real, deterministic images in memory: layers are gzip'd tars of real
// files, configs carry the uncompressed diff_ids, manifests are Docker v2 or OCI. The
// same inputs always give the same digests.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import type { LayerEntries } from "../../shared/flatten.ts";
import { DOCKER_MANIFEST_LIST, OCI_CONFIG, OCI_INDEX, OCI_MANIFEST } from "../../shared/media-types.ts";
import { TAR_END, tarHeader, tarPadding } from "../../shared/tar-header.ts";
import { readTar, type TarReadItem } from "../../shared/tar-reader.ts";
import { imageConfig, imageManifest, TAR_MTIME } from "./image-pieces.ts";

export interface FileSpec {
  path: string;
  content?: string | Uint8Array;
  mode?: number;
  type?: "file" | "directory" | "symlink" | "hardlink";
  linkname?: string;
}

export interface Blob {
  digest: string;
  bytes: Uint8Array;
}

export interface BuiltImage {
  mediaType: string;
  manifest: Blob;
  config: Blob;
  layers: (Blob & { diffId: string })[];
  platform: { os: string; architecture: string; variant?: string };
}

export interface BuiltIndex {
  mediaType: string;
  manifest: Blob;
  images: BuiltImage[];
  /** Attestation manifests (unknown/unknown) and their blobs. */
  extras: Blob[];
  extraManifests: { blob: Blob; mediaType: string }[];
}

export function sha256(bytes: Uint8Array): string {
  return "sha256:" + createHash("sha256").update(bytes).digest("hex");
}

function blob(bytes: Uint8Array): Blob {
  return { digest: sha256(bytes), bytes };
}

/** Deterministic pseudo-random bytes, so layers don't compress to nothing. */
export function noise(seed: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let block = createHash("sha256").update(seed).digest();
  for (let i = 0; i < length; i += 32) {
    out.set(block.subarray(0, Math.min(32, length - i)), i);
    block = createHash("sha256").update(block).digest();
  }
  return out;
}

export function tarOf(files: FileSpec[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const file of files) {
    const data = typeof file.content === "string" ? new TextEncoder().encode(file.content) : (file.content ?? new Uint8Array());
    const type = file.type ?? "file";
    const mode = file.mode ?? (type === "directory" ? 0o755 : type === "symlink" ? 0o777 : 0o644);
    parts.push(tarHeader({ name: file.path, size: type === "file" ? data.length : 0, mode, type, mtime: TAR_MTIME, linkname: file.linkname }));
    if (type === "file") {
      parts.push(data, new Uint8Array(tarPadding(data.length)));
    }
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}

export function layerOf(files: FileSpec[]): Blob & { diffId: string } {
  const tar = tarOf(files);
  return { ...blob(gzipSync(tar, { level: 6 })), diffId: sha256(tar) };
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

export function buildImage(options: {
  oci?: boolean;
  platform?: { os: string; architecture: string; variant?: string };
  layers: FileSpec[][];
  cmd?: string[];
}): BuiltImage {
  const platform = options.platform ?? { os: "linux", architecture: "amd64" };
  const layers = options.layers.map(layerOf);
  const config = blob(imageConfig({
    platform,
    diffIds: layers.map((l) => l.diffId),
    config: { Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Cmd: options.cmd ?? ["/bin/sh"] },
    createdBy: (i) => `fixture layer ${i}`,
  }));
  const sized = (b: Blob) => ({ digest: b.digest, size: b.bytes.length });
  const { mediaType, bytes } = imageManifest(options.oci ? "oci" : "docker", sized(config), layers.map(sized));
  return { mediaType, manifest: blob(bytes), config, layers, platform };
}

/** A multi-platform index; with `attestations`, each image gets a BuildKit-style attestation manifest. */
export function buildIndex(images: BuiltImage[], options: { oci: boolean; attestations?: boolean }): BuiltIndex {
  const extras: Blob[] = [];
  const extraManifests: BuiltIndex["extraManifests"] = [];
  const entries: unknown[] = images.map((image) => ({
    mediaType: image.mediaType,
    digest: image.manifest.digest,
    size: image.manifest.bytes.length,
    platform: image.platform,
  }));
  if (options.attestations) {
    for (const image of images) {
      const statement = blob(json({ _type: "https://in-toto.io/Statement/v0.1", subject: [{ digest: { sha256: image.manifest.digest.slice(7) } }] }));
      const emptyConfig = blob(json({}));
      const attestation = blob(json({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: OCI_CONFIG, digest: emptyConfig.digest, size: emptyConfig.bytes.length },
        layers: [{ mediaType: "application/vnd.in-toto+json", digest: statement.digest, size: statement.bytes.length, annotations: { "in-toto.io/predicate-type": "https://spdx.dev/Document" } }],
      }));
      extras.push(statement, emptyConfig);
      extraManifests.push({ blob: attestation, mediaType: OCI_MANIFEST });
      entries.push({
        mediaType: OCI_MANIFEST,
        digest: attestation.digest,
        size: attestation.bytes.length,
        annotations: { "vnd.docker.reference.digest": image.manifest.digest, "vnd.docker.reference.type": "attestation-manifest" },
        platform: { architecture: "unknown", os: "unknown" },
      });
    }
  }
  const mediaType = options.oci ? OCI_INDEX : DOCKER_MANIFEST_LIST;
  const manifest = blob(json({ schemaVersion: 2, mediaType, manifests: entries }));
  return { mediaType, manifest, images, extras, extraManifests };
}

/** A gzipped layer's tar entries, decompressed as the browser does (DecompressionStream). */
export function readLayer(layer: Blob): AsyncGenerator<TarReadItem> {
  return readTar(new globalThis.Blob([layer.bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip")));
}

/** An image's layers from the top one down, as flattenLayers takes them. */
export async function* layersTopDown(image: { layers: Blob[] }): AsyncGenerator<LayerEntries> {
  for (let index = image.layers.length - 1; index >= 0; index--) yield { index, items: readLayer(image.layers[index]) };
}
