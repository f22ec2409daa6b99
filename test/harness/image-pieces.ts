// The pieces of a test image, written once for every suite and the benches: the config
// and manifest documents, and a layer's tar of one file streamed piece by piece. Pure
// (no node: modules, no hashing: the callers digest with what their runtime has), so
// Node tests, the benches and code that runs inside workerd can all import it.
import {
  DOCKER_CONFIG,
  DOCKER_FOREIGN_LAYER_GZIP,
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST_V2,
  OCI_CONFIG,
  OCI_LAYER_GZIP,
  OCI_MANIFEST,
} from "../../shared/media-types.ts";
import { TAR_END, tarHeader, tarPadding } from "../../shared/tar-header.ts";

export type ManifestFormat = "docker" | "oci";

export interface ImagePlatform {
  os: string;
  architecture: string;
  variant?: string;
}

/** A blob a manifest names. */
export interface BlobRef {
  digest: string;
  size: number;
}

/** A layer a manifest names: gzip'd in the manifest's format unless `mediaType` says otherwise; with `urls`, a foreign layer. */
export interface LayerRef extends BlobRef {
  mediaType?: string;
  urls?: string[];
}

/** Every fixed date in a test image, so the same inputs always give the same digests. */
export const IMAGE_CREATED = "2024-01-01T00:00:00Z";
/** Every tar entry's mtime. */
export const TAR_MTIME = 1_700_000_000;

const encoder = new TextEncoder();

/**
 * An image config: the platform (linux/amd64 by default) and the layers' diff_ids; with
 * `createdBy`, a creation date and a history entry per layer; `config` is the runtime
 * config (Env, Cmd, Labels); `extra` adds or overrides top-level fields.
 */
export function imageConfig(spec: {
  diffIds: string[];
  platform?: ImagePlatform;
  config?: Record<string, unknown>;
  createdBy?: (layer: number) => string;
  extra?: Record<string, unknown>;
}): Uint8Array {
  const platform = spec.platform ?? { os: "linux", architecture: "amd64" };
  const { createdBy } = spec;
  return encoder.encode(JSON.stringify({
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    ...(createdBy ? { created: IMAGE_CREATED } : {}),
    ...(spec.config ? { config: spec.config } : {}),
    rootfs: { type: "layers", diff_ids: spec.diffIds },
    ...(createdBy ? { history: spec.diffIds.map((_, i) => ({ created: IMAGE_CREATED, created_by: createdBy(i) })) } : {}),
    ...spec.extra,
  }));
}

export function manifestMediaType(format: ManifestFormat): string {
  return format === "oci" ? OCI_MANIFEST : DOCKER_MANIFEST_V2;
}

/** An image manifest in `format` naming `config` and `layers`, as the bytes a registry stores. */
export function imageManifest(format: ManifestFormat, config: BlobRef, layers: LayerRef[]): { mediaType: string; bytes: Uint8Array } {
  const mediaType = manifestMediaType(format);
  const layerType = (layer: LayerRef) => layer.mediaType ?? (format === "oci" ? OCI_LAYER_GZIP : layer.urls ? DOCKER_FOREIGN_LAYER_GZIP : DOCKER_LAYER_GZIP);
  const bytes = encoder.encode(JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: { mediaType: format === "oci" ? OCI_CONFIG : DOCKER_CONFIG, digest: config.digest, size: config.size },
    layers: layers.map((layer) => ({ mediaType: layerType(layer), digest: layer.digest, size: layer.size, ...(layer.urls ? { urls: layer.urls } : {}) })),
  }));
  return { mediaType, bytes };
}

/**
 * A tar holding one file `name` of `size` bytes taken from `data`, streamed: the header,
 * the data as it comes, then the padding and the end-of-archive blocks. `seen` gets every
 * byte of the tar (for its diff_id).
 */
export async function* oneFileTar(name: string, size: number, data: AsyncIterable<Uint8Array>, seen?: (bytes: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  const pass = (bytes: Uint8Array) => {
    seen?.(bytes);
    return bytes;
  };
  yield pass(tarHeader({ name, size, mtime: TAR_MTIME }));
  for await (const piece of data) yield pass(piece);
  yield pass(new Uint8Array(tarPadding(size) + TAR_END.length));
}
