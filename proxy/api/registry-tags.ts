// Tags of an image on a registry other than Docker Hub, which has no web API: names
// from the registry's tags/list, and for the one tag the user named, its platforms,
// sizes and digests from its manifests. Looking up every tag would cost a manifest
// request per tag and platform, far past a Worker's subrequest budget.
import { sha256Digest } from "../../shared/digest.ts";
import { parseImageConfig, parseManifest, type ImageManifest } from "../../shared/manifest.ts";
import { MANIFEST_ACCEPT } from "../../shared/media-types.ts";
import { formatPlatform, isAttestationOrUnknown } from "../../shared/platform.ts";
import { ApiError } from "./errors.ts";
import { readBytes, registryGet, type RegistryTarget } from "./registry-client.ts";
import type { TagInfo, TagPlatform } from "../../shared/seed-api.ts";

/** Indexes with more platforms than this are cut short (each costs a subrequest). */
const MAX_PLATFORMS = 16;
const MAX_LISTED = 1000;

export interface RegistryTagPage {
  names: string[];
  hasMore: boolean;
}

/** Page `page` of `limit` tag names, in the registry's (lexical) order. */
export async function listRegistryTags(target: RegistryTarget, page: number, limit: number): Promise<RegistryTagPage> {
  // tags/list pages by cursor (n, last), not by number: ask for everything up to this page.
  const wanted = Math.min(page * limit, MAX_LISTED);
  const response = await registryGet(target, `tags/list?n=${wanted}`);
  let body: { tags?: unknown };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new ApiError(502, "UPSTREAM", `${target.key} answered its tag list with something that is not JSON`);
  }
  const all = Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === "string") : [];
  const names = all.slice((page - 1) * limit, page * limit);
  const hasMore = response.headers.has("link") || all.length > page * limit;
  return { names, hasMore };
}

/** The platforms one tag (or digest) offers, with sizes and digests. */
export async function registryTagInfo(target: RegistryTarget, reference: string, name: string): Promise<TagInfo> {
  const { bytes, mediaType, digest } = await fetchManifest(target, reference);
  const parsed = parseManifest(bytes, mediaType);
  let platforms: TagPlatform[];
  if (parsed.kind === "index") {
    const entries = parsed.index.manifests.filter((d) => d.platform !== undefined && !isAttestationOrUnknown(d)).slice(0, MAX_PLATFORMS);
    platforms = await Promise.all(entries.map(async (d) => {
      const p = d.platform!;
      const child = await fetchManifest(target, d.digest);
      const childParsed = parseManifest(child.bytes, child.mediaType);
      const size = childParsed.kind === "image" ? layerBytes(childParsed.manifest) : null;
      return describe(p.os, p.architecture, p.variant, d.digest, size);
    }));
  } else {
    const configResponse = await registryGet(target, `blobs/${parsed.manifest.config.digest}`);
    const config = parseImageConfig(await readBytes(configResponse));
    platforms = [describe(config.os, config.architecture, config.variant, digest, layerBytes(parsed.manifest))];
  }
  return { name, digest, lastUpdated: null, platforms };
}

function describe(os: string, architecture: string, variant: string | undefined, digest: string, size: number | null): TagPlatform {
  const p = { os, architecture, ...(variant ? { variant } : {}) };
  return { platform: formatPlatform(p), ...p, digest, size };
}

function layerBytes(manifest: ImageManifest): number {
  return manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
}

async function fetchManifest(target: RegistryTarget, reference: string): Promise<{ bytes: Uint8Array; mediaType: string; digest: string }> {
  const response = await registryGet(target, `manifests/${reference}`, MANIFEST_ACCEPT);
  const bytes = await readBytes(response);
  // Computed, not taken from Docker-Content-Digest: the bytes are what the digest names.
  const digest = await sha256Digest(bytes);
  return { bytes, mediaType: response.headers.get("content-type") ?? "", digest };
}
