// The media types of the Docker v2 and OCI image formats, and the few questions the
// rest of dockerdl asks about them (is this a layer, how is it compressed, may a
// registry hold it).

import { DockerdlError } from "./errors.ts";

export const DOCKER_MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
export const DOCKER_MANIFEST_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json";
export const DOCKER_MANIFEST_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

export const DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";

export const DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
export const DOCKER_FOREIGN_LAYER_GZIP = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
export const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
export const OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
export const OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
export const OCI_NONDISTRIBUTABLE_LAYER = "application/vnd.oci.image.layer.nondistributable.v1.tar";
export const OCI_NONDISTRIBUTABLE_LAYER_GZIP = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
export const OCI_NONDISTRIBUTABLE_LAYER_ZSTD = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

// Registries that are not told a type is acceptable answer MANIFEST_UNKNOWN, or worse,
// convert to schema 1; so every type we can read is listed, indexes first.
export const MANIFEST_ACCEPT = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST_V2].join(", ");

export type LayerCompression = "gzip" | "zstd" | "none";

const LAYERS: ReadonlyMap<string, { compression: LayerCompression; foreign: boolean }> = new Map([
  [DOCKER_LAYER_GZIP, { compression: "gzip", foreign: false }],
  [DOCKER_FOREIGN_LAYER_GZIP, { compression: "gzip", foreign: true }],
  [OCI_LAYER, { compression: "none", foreign: false }],
  [OCI_LAYER_GZIP, { compression: "gzip", foreign: false }],
  [OCI_LAYER_ZSTD, { compression: "zstd", foreign: false }],
  [OCI_NONDISTRIBUTABLE_LAYER, { compression: "none", foreign: true }],
  [OCI_NONDISTRIBUTABLE_LAYER_GZIP, { compression: "gzip", foreign: true }],
  [OCI_NONDISTRIBUTABLE_LAYER_ZSTD, { compression: "zstd", foreign: true }],
]);

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
}

export function isImageManifestMediaType(mediaType: string): boolean {
  return mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST_V2;
}

export function isSchema1MediaType(mediaType: string): boolean {
  return mediaType === DOCKER_MANIFEST_SCHEMA1 || mediaType === DOCKER_MANIFEST_SCHEMA1_SIGNED;
}

export function isConfigMediaType(mediaType: string): boolean {
  return mediaType === DOCKER_CONFIG || mediaType === OCI_CONFIG;
}

export function isLayerMediaType(mediaType: string): boolean {
  return LAYERS.has(mediaType);
}

/** Foreign (Docker) and non-distributable (OCI) layers are ones registries may not hold. */
export function isForeignLayer(mediaType: string): boolean {
  return LAYERS.get(mediaType)?.foreign ?? false;
}

export function layerCompression(mediaType: string): LayerCompression {
  const layer = LAYERS.get(mediaType);
  if (layer === undefined) {
    throw new DockerdlError("BAD_MANIFEST", `${JSON.stringify(mediaType)} is not a container image layer media type`);
  }
  return layer.compression;
}
