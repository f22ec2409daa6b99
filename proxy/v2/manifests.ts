// GET and HEAD /v2/<name>/manifests/<tag|digest> with the cache. Manifests are kept by
// digest for good. A tag is resolved with a HEAD upstream (Docker Hub doesn't count HEADs
// against its pull limit) and, for public repositories, the resolution is kept for
// TAG_TTL seconds, so a warm pull of a public tag touches the upstream not at all.
// Manifests are small (a registry refuses more than 4 MiB), so unlike blobs they are
// read whole (up to that cap), hashed and checked before anything is served or stored
// (manifest-body.ts), and only ever served with a manifest media type. A manifest asked
// for by digest is served from the cache only under a repository known to hold it.
import { isDigest } from "../../shared/digest.ts";
import { privateAccess, visibilityFor, refusalFor } from "../upstream/access.ts";
import { cameFrom, manifestKey, manifestRefKey, objectMetadata, originOf, tagKey, visibilityOf, type Visibility } from "../cache/keys.ts";
import type { BlobStore, StoredBody, StoredObject } from "../cache/store.ts";
import { isManifestMediaType, readManifest, type CheckedManifest } from "./manifest-body.ts";
import type { Mirror } from "./mirror.ts";
import { registryHeaders, relayResponse } from "./relay.ts";
import type { V2Route } from "./route.ts";
import { callUpstream, upstreamFailure } from "../upstream/fetch.ts";

interface TagEntry {
  digest: string;
  mediaType: string;
}

export async function handleManifest(request: Request, route: V2Route, mirror: Mirror): Promise<Response> {
  try {
    if (!mirror.cache) return await fromUpstream(request, route, mirror, route.reference, null);
    return await cachedManifest(request, route, mirror, mirror.cache);
  } catch (error) {
    return upstreamFailure(error, route.key);
  }
}

function accepts(request: Request, mediaType: string): boolean {
  const accept = request.headers.get("accept");
  if (!accept) return true;
  return accept.split(",").some((part) => {
    const type = part.split(";")[0].trim().toLowerCase();
    return type === "*/*" || type === mediaType.toLowerCase();
  });
}

async function cachedManifest(request: Request, route: V2Route, mirror: Mirror, cache: BlobStore): Promise<Response> {
  const byDigest = isDigest(route.reference);
  let digest = byDigest ? route.reference : undefined;
  // Whether the requester's own credentials have just been accepted upstream for it.
  let verified = false;
  if (!byDigest) {
    const entry = await readTag(cache, route, mirror);
    if (entry && accepts(request, entry.mediaType)) {
      digest = entry.digest;
    } else {
      const head = await callUpstream(request, route, `manifests/${route.reference}`, { method: "HEAD" }, mirror);
      await head.body?.cancel();
      if (head.status !== 200) return refusalOrRelay(head, request, route, mirror);
      const resolved = head.headers.get("docker-content-digest");
      if (resolved && isDigest(resolved)) {
        digest = resolved;
        verified = true;
        const type = head.headers.get("content-type")?.split(";")[0].trim() ?? "";
        const entry = { digest, mediaType: isManifestMediaType(type) ? type : "" };
        mirror.waitUntil(Promise.all([rememberTag(request, route, mirror, cache, entry), cache.put(manifestRefKey(route, digest), "", {})]).catch(() => {}));
      }
    }
  }
  let cachedElsewhere = false;
  if (digest) {
    const object: StoredObject | StoredBody | null = request.method === "HEAD" ? await cache.head(manifestKey(digest)) : await cache.get(manifestKey(digest));
    const body = object && "body" in object ? (object as StoredBody).body : null;
    const mediaType = object?.httpMetadata?.contentType ?? "";
    // A digest asked for directly is served from the cache only under a repository that
    // referenced it; elsewhere the upstream decides (the spec scopes content by repository).
    const scoped = !object || !byDigest || visibilityOf(object) === "private" || (await referencedBy(cache, object, route, digest));
    cachedElsewhere = object !== null && !scoped;
    if (object && scoped && isManifestMediaType(mediaType) && accepts(request, mediaType)) {
      // A private manifest is vouched for by the repository it came from alone: a tag just
      // resolved counts only there (upstream/access.ts).
      const access = visibilityOf(object) === "public" || (verified && cameFrom(object, route, mirror.config)) ? "serve" : await privateAccess(request, route, `manifests/${digest}`, originOf(object, mirror.config), mirror);
      if (access === "serve") return new Response(body, { headers: manifestHeaders(digest, mediaType, object.size) });
      if (access !== "uncached") {
        await body?.cancel();
        return access;
      }
    }
    await body?.cancel();
  }
  // Not cached: fetch it (by digest when we know it) and keep it.
  const keep = (manifest: CheckedManifest) => {
    // A tag just resolved by HEAD has its reference written already (one write per key a second: R2's rule).
    const stored = storeManifest(request, route, mirror, cache, manifest, { fromTag: !byDigest && !digest, cachedAlready: cachedElsewhere, referenced: verified });
    mirror.waitUntil(stored.catch((error: unknown) => console.warn(`caching manifest ${manifest.digest}: ${String(error)}`)));
  };
  return fromUpstream(request, route, mirror, digest ?? route.reference, keep);
}

/** Whether the repository of `route` is known to hold the cached manifest `digest`. */
async function referencedBy(cache: BlobStore, object: StoredObject, route: V2Route, digest: string): Promise<boolean> {
  if (object.customMetadata?.source === `${route.key}/${route.upstreamName}`) return true;
  return (await cache.head(manifestRefKey(route, digest))) !== null;
}

/** The manifest from upstream, checked (manifest-body.ts); `keep` is given what was served. */
async function fromUpstream(request: Request, route: V2Route, mirror: Mirror, reference: string, keep: ((manifest: CheckedManifest) => void) | null): Promise<Response> {
  const upstream = await callUpstream(request, route, `manifests/${reference}`, { method: request.method as "GET" | "HEAD" }, mirror);
  if (upstream.status !== 200) return relayResponse(upstream, request, route, mirror);
  if (request.method === "HEAD") return headAnswer(upstream);
  const manifest = await readManifest(upstream, route, reference);
  if (manifest instanceof Response) return manifest;
  keep?.(manifest);
  return new Response(manifest.bytes, { headers: manifestHeaders(manifest.digest, manifest.mediaType, manifest.bytes.byteLength) });
}

/** A HEAD has no body to check: its answer says a manifest type and a digest, or it is refused. */
function headAnswer(upstream: Response): Response {
  const mediaType = upstream.headers.get("content-type")?.split(";")[0].trim() ?? "";
  const digest = upstream.headers.get("docker-content-digest") ?? "";
  const length = upstream.headers.get("content-length") ?? "";
  if (!isManifestMediaType(mediaType) || !isDigest(digest) || !/^\d+$/.test(length)) {
    return new Response(null, { status: 502, headers: registryHeaders() });
  }
  return new Response(null, { headers: manifestHeaders(digest, mediaType, Number(length)) });
}

function manifestHeaders(digest: string, mediaType: string, size: number): Headers {
  const headers = registryHeaders();
  headers.set("content-type", mediaType);
  headers.set("content-length", String(size));
  headers.set("docker-content-digest", digest);
  headers.set("etag", `"${digest}"`);
  return headers;
}

/** A HEAD answer has no body: give the client a spec-shaped error for GETs. */
function refusalOrRelay(head: Response, request: Request, route: V2Route, mirror: Mirror): Response {
  if (request.method === "HEAD") return relayResponse(head, request, route, mirror);
  return refusalFor(head, request, route, mirror);
}

/**
 * Keeps a manifest served from upstream, and that the route's repository holds it (unless
 * `referenced`: written when its tag was resolved). When the bytes are cached already
 * (from another repository) only that reference is added.
 */
async function storeManifest(request: Request, route: V2Route, mirror: Mirror, cache: BlobStore, manifest: CheckedManifest, { fromTag, cachedAlready, referenced }: { fromTag: boolean; cachedAlready: boolean; referenced: boolean }): Promise<void> {
  const { digest, mediaType, bytes } = manifest;
  const visibility = await visibilityFor(request, route, `manifests/${digest}`, mirror);
  if (!referenced) await cache.put(manifestRefKey(route, digest), "", {});
  if (!cachedAlready) {
    await cache.put(manifestKey(digest), bytes, {
      sha256: digest.slice("sha256:".length),
      httpMetadata: { contentType: mediaType },
      customMetadata: objectMetadata(route, visibility),
    });
  }
  if (fromTag) await writeTag(cache, route, visibility, { digest, mediaType }, mirror.now());
}

async function rememberTag(request: Request, route: V2Route, mirror: Mirror, cache: BlobStore, entry: TagEntry): Promise<void> {
  const visibility = await visibilityFor(request, route, `manifests/${route.reference}`, mirror);
  await writeTag(cache, route, visibility, entry, mirror.now());
}

/** Only public resolutions are kept (resolved at `now`): a private tag is resolved with the requester's own credentials every time. */
async function writeTag(cache: BlobStore, route: V2Route, visibility: Visibility, entry: TagEntry, now: number): Promise<void> {
  if (visibility !== "public") return;
  await cache.put(tagKey(route, route.reference), "", {
    customMetadata: { digest: entry.digest, mediaType: entry.mediaType, resolvedAt: String(now) },
  });
}

/** The tag's resolution while younger than TAG_TTL by the mirror's clock. */
async function readTag(cache: BlobStore, route: V2Route, mirror: Mirror): Promise<TagEntry | null> {
  const ttlSeconds = mirror.config.tagTtlSeconds;
  if (ttlSeconds <= 0) return null;
  const object = await cache.head(tagKey(route, route.reference));
  const meta = object?.customMetadata;
  if (!meta?.digest || !isDigest(meta.digest)) return null;
  if (mirror.now() - Number(meta.resolvedAt) > ttlSeconds * 1000) return null;
  return { digest: meta.digest, mediaType: meta.mediaType ?? "" };
}

