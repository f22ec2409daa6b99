// Tags of an image on a registry other than Docker Hub, which has no web API: names
// from the registry's tag list, and for the one tag the user named, its platforms,
// sizes and digests from its manifests, each verified by the shared registry client
// (child manifests against the index's digest and size). Looking up every tag would
// cost a manifest request per tag and platform, far past a Worker's subrequest budget.
import { parseImageConfig, parseManifest, type ImageManifest } from "../../shared/manifest.ts";
import { formatPlatform, isAttestationOrUnknown } from "../../shared/platform.ts";
import type { Reference } from "../../shared/reference.ts";
import type { RegistryClient } from "../../shared/registry/client.ts";
import type { TagInfo, TagPlatform } from "../../shared/seed-api.ts";

/** Indexes with more platforms than this are cut short (each costs a subrequest). */
const MAX_PLATFORMS = 16;
const MAX_LISTED = 1000;

export interface RegistryTagPage {
  names: string[];
  hasMore: boolean;
}

/** Page `page` of `limit` tag names, in the registry's (lexical) order. */
export async function listRegistryTags(client: RegistryClient, ref: Reference, page: number, limit: number, signal?: AbortSignal): Promise<RegistryTagPage> {
  // The spec pages by cursor (n, last), not by number: read everything up to this page,
  // in one request where the registry honours n.
  const wanted = Math.min(page * limit, MAX_LISTED);
  const { tags, truncated } = await client.listTags(ref, { max: wanted, pageSize: wanted, ...(signal ? { signal } : {}) });
  return { names: tags.slice((page - 1) * limit, page * limit), hasMore: truncated || tags.length > page * limit };
}

/** The platforms one tag (or digest) offers, with sizes and digests. */
export async function registryTagInfo(client: RegistryClient, ref: Reference, reference: string, name: string, signal?: AbortSignal): Promise<TagInfo> {
  const top = await client.getManifest(ref, reference, signal);
  const parsed = parseManifest(top.bytes, top.mediaType);
  let platforms: TagPlatform[];
  if (parsed.kind === "index") {
    const entries = parsed.index.manifests.filter((d) => d.platform !== undefined && !isAttestationOrUnknown(d)).slice(0, MAX_PLATFORMS);
    platforms = await Promise.all(entries.map(async (d) => {
      const p = d.platform!;
      const child = await client.getChildManifest(ref, d, signal);
      const childParsed = parseManifest(child.bytes, child.mediaType);
      const size = childParsed.kind === "image" ? layerBytes(childParsed.manifest) : null;
      return describe(p.os, p.architecture, p.variant, d.digest, size);
    }));
  } else {
    const { digest, size } = parsed.manifest.config;
    const config = parseImageConfig(await client.getSmallBlob(ref, digest, size, `the config of ${name}`, signal));
    platforms = [describe(config.os, config.architecture, config.variant, top.digest, layerBytes(parsed.manifest))];
  }
  return { name, digest: top.digest, lastUpdated: null, platforms };
}

function describe(os: string, architecture: string, variant: string | undefined, digest: string, size: number | null): TagPlatform {
  const p = { os, architecture, ...(variant ? { variant } : {}) };
  return { platform: formatPlatform(p), ...p, digest, size };
}

function layerBytes(manifest: ImageManifest): number {
  return manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
}
