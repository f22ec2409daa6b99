// The tag shape image-details answers with, whichever source it came from: per tag, the
// platforms it offers with their compressed sizes and manifest digests. Attestation
// entries (unknown/unknown) are never offered.
import { formatPlatform } from "../../shared/platform.ts";
import type { HubTag } from "./hub-types.ts";

export interface TagPlatform {
  /** "linux/arm64/v8": what --platform and the download endpoints take. */
  platform: string;
  os: string;
  architecture: string;
  variant?: string;
  /** The platform's image manifest digest. */
  digest: string | null;
  /** Compressed size in bytes (the sum of the layers as stored in the registry). */
  size: number | null;
  lastPushed?: string | null;
}

export interface TagInfo {
  name: string;
  /** The tag's manifest (or index) digest. */
  digest: string | null;
  lastUpdated: string | null;
  /** null: not looked up (registries other than Hub list tag names only, see image-details.ts). */
  platforms: TagPlatform[] | null;
}

export function isUnknownPlatform(os: string | undefined, architecture: string | undefined): boolean {
  return !os || !architecture || os === "unknown" || architecture === "unknown";
}

export function tagFromHub(tag: HubTag): TagInfo {
  const platforms: TagPlatform[] = [];
  for (const image of tag.images ?? []) {
    if (isUnknownPlatform(image.os, image.architecture)) continue;
    const p = { os: image.os, architecture: image.architecture, ...(image.variant ? { variant: image.variant } : {}) };
    platforms.push({
      platform: formatPlatform(p),
      ...p,
      digest: image.digest ?? null,
      size: typeof image.size === "number" ? image.size : null,
      lastPushed: image.last_pushed ?? null,
    });
  }
  return { name: tag.name, digest: tag.digest ?? null, lastUpdated: tag.last_updated ?? null, platforms };
}
