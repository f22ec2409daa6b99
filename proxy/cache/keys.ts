// Where things live in the R2 bucket, and what each object records about who may read it.
// Blobs and manifests are keyed by digest only (content-addressed, shared by every
// repository that holds them); access is per repository, so each object says whether
// the upstream served it to anyone ("public") or only with credentials ("private"), and a
// private object is served only after the requester's own credentials pass upstream.
import type { V2Route } from "../v2/route.ts";
import type { StoredObject } from "./store.ts";

export type Visibility = "public" | "private";

export function blobKey(digest: string): string {
  return `blobs/${digest.replace(":", "/")}`;
}

export function manifestKey(digest: string): string {
  return `manifests/${digest.replace(":", "/")}`;
}

/**
 * That one upstream repository holds manifest `digest` (an empty object): a manifest
 * asked for by digest is served from the cache only under repositories that hold it,
 * so the cache tells nobody what another repository contains.
 */
export function manifestRefKey(route: V2Route, digest: string): string {
  return `manifest-refs/${route.key}/${route.upstreamName}/${digest.replace(":", "/")}`;
}

/** Tag resolutions are per upstream repository; only public ones are stored. */
export function tagKey(route: V2Route, tag: string): string {
  return `tags/${route.key}/${route.upstreamName}/${tag}`;
}

export function visibilityOf(object: StoredObject): Visibility {
  return object.customMetadata?.visibility === "public" ? "public" : "private";
}

/** What a cached blob records: who may read it, and where it was first fetched from (for the operator's curiosity). */
export function blobMetadata(route: V2Route, visibility: Visibility) {
  return {
    customMetadata: { visibility, source: `${route.key}/${route.upstreamName}` },
    httpMetadata: { contentType: "application/octet-stream" },
  };
}
