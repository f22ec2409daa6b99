// Manifests, indexes and image configs: their types, and strict parsing of what a
// registry sends. Strict because everything downstream (the tar plan, Content-Length,
// digests checked per layer) is computed from these fields before a byte of a layer
// arrives: a bad size or digest must fail here, with a message, not mid-download.

import { digestProblem } from "./digest.ts";
import { DockerdlError } from "./errors.ts";
import {
  DOCKER_MANIFEST_V2,
  OCI_INDEX,
  OCI_MANIFEST,
  isConfigMediaType,
  isForeignLayer,
  isImageManifestMediaType,
  isIndexMediaType,
  isLayerMediaType,
  isSchema1MediaType,
} from "./media-types.ts";
import { badPlatformField, type Platform } from "./platform.ts";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** Loose on purpose: only what dockerdl reads is typed; the bytes are stored unchanged. */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  created?: string;
  rootfs: { type: string; diff_ids: string[] };
  config?: Record<string, unknown>;
  history?: { created?: string; created_by?: string; empty_layer?: boolean; comment?: string; author?: string }[];
  [field: string]: unknown;
}

export type ParsedManifest =
  | { kind: "index"; index: ImageIndex; mediaType: string }
  | { kind: "image"; manifest: ImageManifest; mediaType: string };

type JsonObject = Record<string, unknown>;

const BAD_MANIFEST_HINT = "the registry sent something dockerdl cannot use; check the image name, or tell the image's publisher";

function bad(message: string, hint = BAD_MANIFEST_HINT): never {
  throw new DockerdlError("BAD_MANIFEST", message, { hint });
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseJsonObject(bytes: Uint8Array, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch (error) {
    bad(`the ${what} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(value)) bad(`the ${what} is not a JSON object`);
  return value;
}

// Registries often label manifests with generic types; only a manifest type is trusted.
function isManifestMediaType(t: string | undefined): t is string {
  return t !== undefined && (isIndexMediaType(t) || isImageManifestMediaType(t));
}

export function parseManifest(bytes: Uint8Array, contentType?: string): ParsedManifest {
  const json = parseJsonObject(bytes, "manifest");
  const declared = contentType?.split(";")[0]?.trim().toLowerCase() || undefined;
  const inner = typeof json.mediaType === "string" ? json.mediaType : undefined;

  if (json.schemaVersion === 1 || (declared !== undefined && isSchema1MediaType(declared)) || (inner !== undefined && isSchema1MediaType(inner))) {
    throw new DockerdlError(
      "UNSUPPORTED_SCHEMA1",
      "this image uses the obsolete Docker manifest schema 1 format, which docker itself no longer pulls",
      { hint: "push it again with a current docker (or convert it with skopeo copy --format v2s2) so it is stored as schema 2" },
    );
  }
  if (json.schemaVersion !== 2) {
    bad(`the manifest has schemaVersion ${JSON.stringify(json.schemaVersion)}; only schemaVersion 2 (Docker v2 and OCI) is supported`);
  }
  if (json.mediaType !== undefined && inner === undefined) bad("the manifest's mediaType is not a string");

  let mediaType = isManifestMediaType(declared) ? declared : undefined;
  if (inner !== undefined) {
    if (!isManifestMediaType(inner)) {
      bad(`the manifest's media type is ${JSON.stringify(inner)}, which is not a container image manifest or index`);
    }
    if (mediaType !== undefined && mediaType !== inner) {
      bad(`the registry sent the manifest as ${mediaType}, but the manifest says it is ${inner}`);
    }
    mediaType = inner;
  }
  // OCI makes mediaType optional in the JSON; then the shape tells.
  mediaType ??= Array.isArray(json.manifests) ? OCI_INDEX : "config" in json ? OCI_MANIFEST : undefined;
  if (mediaType === undefined) bad("the manifest is neither an image manifest (config and layers) nor an index (manifests)");

  if (isIndexMediaType(mediaType)) return { kind: "index", index: checkIndex(json), mediaType };
  return { kind: "image", manifest: checkImageManifest(json, mediaType), mediaType };
}

function checkIndex(json: JsonObject): ImageIndex {
  if (!Array.isArray(json.manifests)) bad("the index has no manifests list");
  // Entries' media types are left open: indexes may list artifacts beside images, and
  // only the entry chosen is fetched and parsed (strictly) in turn.
  json.manifests.forEach((d, i) => checkDescriptor(d, `manifests[${i}]`));
  checkAnnotations(json.annotations, "the index");
  return json as unknown as ImageIndex;
}

function checkImageManifest(json: JsonObject, mediaType: string): ImageManifest {
  if (mediaType === DOCKER_MANIFEST_V2 && json.mediaType === undefined) {
    bad("the Docker v2 manifest has no mediaType field");
  }
  const config = checkDescriptor(json.config, "config");
  if (!isConfigMediaType(config.mediaType)) {
    bad(
      `the manifest's config has media type ${JSON.stringify(config.mediaType)}, so it is not a container image ` +
        "(it may be another kind of artifact, such as a Helm chart or a signature)",
      "only container images can be downloaded for docker load",
    );
  }
  if (!Array.isArray(json.layers)) bad("the manifest has no layers list");
  const count = json.layers.length;
  json.layers.forEach((value, i) => {
    const layer = checkDescriptor(value, `layers[${i}]`);
    if (!isLayerMediaType(layer.mediaType)) {
      bad(`layer ${i + 1} of ${count} (${layer.digest}) has media type ${JSON.stringify(layer.mediaType)}, which is not a container image layer`);
    }
  });
  checkAnnotations(json.annotations, "the manifest");
  return json as unknown as ImageManifest;
}

function checkDescriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) bad(`${where} is missing or not an object`);
  const { mediaType, digest, size, urls, platform, artifactType } = value;
  if (typeof mediaType !== "string" || mediaType === "") bad(`${where} has no mediaType`);
  if (typeof digest !== "string") bad(`${where} has no digest`);
  const problem = digestProblem(digest);
  if (problem !== undefined) bad(`${where} has digest ${JSON.stringify(digest)}, which is not valid: ${problem}`);
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    bad(`${where} (${digest}) has size ${JSON.stringify(size)}; a size must be a whole number of bytes, 0 or more`);
  }
  if (urls !== undefined) {
    if (!Array.isArray(urls) || !urls.every(isHttpUrl)) bad(`${where} (${digest}) has urls that are not all http or https URLs`);
  }
  checkAnnotations(value.annotations, `${where} (${digest})`);
  if (platform !== undefined) checkPlatform(platform, `${where} (${digest})`);
  if (artifactType !== undefined && typeof artifactType !== "string") bad(`${where} (${digest}) has an artifactType that is not a string`);
  return value as unknown as Descriptor;
}

function isHttpUrl(u: unknown): boolean {
  if (typeof u !== "string") return false;
  try {
    const { protocol } = new URL(u);
    return protocol === "https:" || protocol === "http:";
  } catch {
    return false;
  }
}

function checkAnnotations(value: unknown, where: string): void {
  if (value === undefined) return;
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === "string")) {
    bad(`${where} has annotations that are not all strings`);
  }
}

function checkPlatform(value: unknown, where: string): void {
  const isStrings = (v: unknown) => v === undefined || (Array.isArray(v) && v.every((x) => typeof x === "string"));
  if (
    !isObject(value) ||
    typeof value.os !== "string" ||
    typeof value.architecture !== "string" ||
    !(value.variant === undefined || typeof value.variant === "string") ||
    !(value["os.version"] === undefined || typeof value["os.version"] === "string") ||
    !isStrings(value["os.features"]) ||
    !isStrings(value.features)
  ) {
    bad(`${where} has a platform that is not an object with string os and architecture`);
  }
  const field = badPlatformField(value);
  if (field !== undefined) bad(`${where} has a platform whose ${field} ${JSON.stringify(value[field])} is not a platform name`);
}

export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  const json = parseJsonObject(bytes, "image config");
  for (const field of ["architecture", "os"] as const) {
    if (typeof json[field] !== "string" || json[field] === "") bad(`the image config has no ${field}`);
  }
  if (json.variant !== undefined && typeof json.variant !== "string") bad("the image config's variant is not a string");
  const field = badPlatformField(json);
  if (field !== undefined) bad(`the image config's ${field} ${JSON.stringify(json[field])} is not a platform name`);
  const rootfs = json.rootfs;
  if (!isObject(rootfs) || rootfs.type !== "layers" || !Array.isArray(rootfs.diff_ids)) {
    bad('the image config has no rootfs of type "layers" with a diff_ids list');
  }
  rootfs.diff_ids.forEach((d: unknown, i: number) => {
    const problem = typeof d === "string" ? digestProblem(d) : "it is not a string";
    if (problem !== undefined) bad(`the image config's rootfs.diff_ids[${i}] is not a valid digest: ${problem}`);
  });
  if (json.config !== undefined && json.config !== null && !isObject(json.config)) bad("the image config's config is not an object");
  if (json.history !== undefined && !Array.isArray(json.history)) bad("the image config's history is not a list");
  return json as ImageConfig;
}

/** docker load refuses an image whose config and manifest disagree on the layer count; say so first. */
export function checkConfigMatchesManifest(config: ImageConfig, manifest: ImageManifest): void {
  const inConfig = config.rootfs.diff_ids.length;
  const inManifest = manifest.layers.length;
  if (inConfig !== inManifest) {
    bad(
      `the image config lists ${inConfig} layer${inConfig === 1 ? "" : "s"} (rootfs.diff_ids) but the manifest has ${inManifest}; the image is broken`,
      "ask the image's publisher to push it again",
    );
  }
}

/**
 * Where to fetch a layer from outside the registry: undefined for an ordinary layer
 * (the registry holds it), the manifest's URLs for a foreign or non-distributable one.
 * Such a layer without URLs cannot be had at all, so that is an error.
 */
export function foreignLayerUrls(layer: Descriptor): string[] | undefined {
  if (!isForeignLayer(layer.mediaType)) return undefined;
  if (layer.urls !== undefined && layer.urls.length > 0) return layer.urls;
  throw new DockerdlError(
    "FOREIGN_LAYER",
    `layer ${layer.digest} is a foreign (non-distributable) layer and the manifest gives no URL for it: ` +
      "its licence keeps registries from redistributing it, so the registry does not hold it",
    { hint: "pull this image where its publisher's servers can be reached, or use a variant of the image without foreign layers" },
  );
}
