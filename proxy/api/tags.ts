// The tag shape image-details answers with, whichever source it came from: per tag, the
// platforms it offers with their compressed sizes and manifest digests. Attestation
// entries (unknown/unknown) are never offered.
import { formatPlatform } from "../../shared/platform.ts";
import type { TagInfo, TagPlatform } from "../../shared/seed-api.ts";
import type { HubTag } from "./hub-types.ts";

function isUnknownPlatform(os: string | undefined, architecture: string | undefined): boolean {
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
