// Where things live in the R2 bucket, and what each object records about who may read it.
// Blobs and manifests are keyed by digest only (content-addressed, shared by every
// repository that holds them); access is per repository, so each object says whether
// the upstream served it to anyone ("public") or only with credentials ("private"), and
// where it came from (UPSTREAMS key, that key's URL then, repository): a private object
// is served only after that repository, asked with the requester's own credentials,
// still serves it (upstream/access.ts); no other repository's word counts.
import type { Config } from "../config.ts";
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

/** The upstream repository a cached object came from. */
export type Origin = Pick<V2Route, "key" | "upstream" | "upstreamName">;

/** What a cached object records: who may read it, and the repository it came from. */
export function objectMetadata(route: Origin, visibility: Visibility): Record<string, string> {
  return { visibility, source: `${route.key}/${route.upstreamName}`, sourceKey: route.key, sourceUrl: route.upstream.href };
}

/** What a cached blob records (objectMetadata), and its type. */
export function blobMetadata(route: Origin, visibility: Visibility) {
  return {
    customMetadata: objectMetadata(route, visibility),
    httpMetadata: { contentType: "application/octet-stream" },
  };
}

/**
 * The repository `object` came from, while its UPSTREAMS key still names the URL it
 * named then; null when it no longer does, or for an object cached before the origin was
 * recorded whole (it is then fetched again, and recorded anew).
 */
export function originOf(object: StoredObject, config: Config): Origin | null {
  const { source, sourceKey, sourceUrl } = object.customMetadata ?? {};
  if (source === undefined || sourceKey === undefined || !source.startsWith(`${sourceKey}/`)) return null;
  const upstream = config.upstreams.get(sourceKey);
  if (upstream === undefined || upstream.href !== sourceUrl) return null;
  return { key: sourceKey, upstream, upstreamName: source.slice(sourceKey.length + 1) };
}

/** Whether `object` came from the route's own repository. */
export function cameFrom(object: StoredObject, route: Origin, config: Config): boolean {
  const origin = originOf(object, config);
  return origin !== null && origin.key === route.key && origin.upstreamName === route.upstreamName;
}
