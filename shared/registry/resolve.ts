// Platform resolution: a reference (tag or digest) and a wanted platform → the index,
// the platform's manifest, its config and layers, each verified. Multi-platform images
// pick from their index (attestations never offered, no silent fallback); a
// single-platform image must still be the platform asked for.

import { DockerdlError } from "../errors.ts";
import { checkConfigMatchesManifest, foreignLayerUrls, parseImageConfig, parseManifest, type ImageConfig, type ImageIndex, type ImageManifest } from "../manifest.ts";
import { availablePlatforms, formatPlatform, normalizePlatform, selectManifest, type Platform } from "../platform.ts";
import { familiarName, type Reference } from "../reference.ts";
import type { LayerDescriptor } from "./blobs.ts";
import type { FetchedManifest, RegistryClient } from "./client.ts";

export interface ResolvedImage {
  reference: Reference;
  /** Set when the reference named a multi-platform index. */
  index?: FetchedManifest & { index: ImageIndex };
  /** The platforms the reference offers (one for a single-platform image). */
  platforms: Platform[];
  /** The platform of the image chosen. */
  platform: Platform;
  manifest: FetchedManifest & { manifest: ImageManifest };
  config: { bytes: Uint8Array; digest: string; config: ImageConfig };
  layers: LayerDescriptor[];
}

export async function resolveImage(client: RegistryClient, ref: Reference, platform: Platform | undefined, options: { defaultPlatform?: Platform; signal?: AbortSignal }): Promise<ResolvedImage> {
  const { signal } = options;
  const name = familiarName(ref);
  const top = await client.getManifest(ref, ref.digest ?? ref.tag ?? "latest", signal);
  const parsedTop = parseManifest(top.bytes, top.mediaType);
  let index: ResolvedImage["index"];
  let manifest: FetchedManifest;
  let platforms: Platform[];
  let chosen: Platform | undefined;
  if (parsedTop.kind === "index") {
    index = { ...top, index: parsedTop.index };
    platforms = availablePlatforms(parsedTop.index);
    const wanted = platform ?? options.defaultPlatform ?? onlyPlatform(platforms, name);
    const descriptor = selectManifest(parsedTop.index, wanted, name);
    chosen = descriptor.platform;
    manifest = await client.getChildManifest(ref, descriptor, signal);
  } else {
    manifest = top;
    platforms = [];
  }
  const parsed = parseManifest(manifest.bytes, manifest.mediaType);
  if (parsed.kind !== "image") {
    throw new DockerdlError("BAD_MANIFEST", `the index of ${name} points to another index (${manifest.digest}) instead of an image`, {
      hint: "nested indexes are not supported; pick the image by its digest",
    });
  }
  const configDescriptor = parsed.manifest.config;
  const configBytes = await client.getSmallBlob(ref, configDescriptor.digest, configDescriptor.size, `the config of ${name}`, signal);
  const config = parseImageConfig(configBytes);
  checkConfigMatchesManifest(config, parsed.manifest);
  const configPlatform = platformOf(config);
  if (parsedTop.kind === "image") {
    platforms = [configPlatform];
    // A single-platform image must still be the platform asked for: an image for the
    // wrong CPU downloads fine and fails only later, elsewhere.
    if (platform !== undefined) {
      selectManifest({ schemaVersion: 2, manifests: [{ mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length, platform: configPlatform }] }, platform, name);
    }
    chosen = configPlatform;
  }
  return {
    reference: ref,
    ...(index === undefined ? {} : { index }),
    platforms,
    platform: chosen ?? configPlatform,
    manifest: { ...manifest, manifest: parsed.manifest },
    config: { bytes: configBytes, digest: configDescriptor.digest, config },
    layers: parsed.manifest.layers.map(layerDescriptor),
  };
}

function layerDescriptor(layer: ImageManifest["layers"][number]): LayerDescriptor {
  const urls = foreignLayerUrls(layer);
  const out: LayerDescriptor = { digest: layer.digest, size: layer.size, mediaType: layer.mediaType };
  if (urls !== undefined) out.urls = urls;
  return out;
}

/** The platform an image's config declares. */
export function platformOf(config: ImageConfig): Platform {
  const p: Platform = { os: config.os, architecture: config.architecture };
  if (config.variant) p.variant = config.variant;
  if (config["os.version"]) p["os.version"] = config["os.version"];
  return normalizePlatform(p);
}

/** No platform asked for: fine when the index offers exactly one, else the caller must choose. */
function onlyPlatform(platforms: Platform[], name: string): Platform {
  if (platforms.length === 1) return platforms[0];
  const listed = platforms.map(formatPlatform).join(", ");
  throw new DockerdlError("PLATFORM_NOT_AVAILABLE", `${name} is a multi-platform image (${listed || "no runnable platform"}); choose one`, {
    hint: "pick a platform with --platform, e.g. --platform linux/amd64",
    key: "PLATFORM_NOT_AVAILABLE.choose",
    params: { image: name, offers: listed },
  });
}
