// GET and HEAD /v2/<name>/manifests/<tag|digest> with the cache. Manifests are kept by
// digest for good. A tag is resolved with a HEAD upstream (Docker Hub doesn't count HEADs
// against its pull limit) and, for public repositories, the resolution is kept for
// TAG_TTL seconds, so a warm pull of a public tag touches the upstream not at all.
// Manifests are small (a registry refuses more than 4 MiB), so unlike blobs they are
// read whole, hashed and checked before anything is stored.
import { sha256Digest } from "../../shared/digest.ts";
import { verifyRequester, visibilityFor, refusalFor } from "../upstream/access.ts";
import { manifestKey, tagKey, visibilityOf, type Visibility } from "../cache/keys.ts";
import type { BlobStore, StoredBody, StoredObject } from "../cache/store.ts";
import type { Mirror } from "./mirror.ts";
import { registryError } from "./errors.ts";
import { registryHeaders, relayResponse } from "./relay.ts";
import { DIGEST, type V2Route } from "./route.ts";
import { callUpstream, upstreamFailure } from "../upstream/fetch.ts";

const MAX_MANIFEST = 4 * 1024 * 1024;

interface TagEntry {
  digest: string;
  mediaType: string;
}

export async function handleManifest(request: Request, route: V2Route, mirror: Mirror): Promise<Response> {
  const cache = mirror.cache;
  if (!cache) return passThrough(request, route);
  try {
    return await cachedManifest(request, route, mirror, cache);
  } catch (error) {
    return upstreamFailure(error, route.key);
  }
}

async function passThrough(request: Request, route: V2Route): Promise<Response> {
  try {
    return relayResponse(await callUpstream(request, route, `manifests/${route.reference}`, { method: request.method as "GET" | "HEAD" }), request, route);
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
  const byDigest = DIGEST.test(route.reference);
  let digest = byDigest ? route.reference : undefined;
  // Whether the requester's own credentials have just been accepted upstream for it.
  let verified = false;
  if (!byDigest) {
    const entry = await readTag(cache, route, mirror.config.tagTtlSeconds);
    if (entry && accepts(request, entry.mediaType)) {
      digest = entry.digest;
    } else {
      const head = await callUpstream(request, route, `manifests/${route.reference}`, { method: "HEAD" });
      await head.body?.cancel();
      if (head.status !== 200) return refusalOrRelay(head, request, route);
      const resolved = head.headers.get("docker-content-digest");
      if (resolved && DIGEST.test(resolved)) {
        digest = resolved;
        verified = true;
        const mediaType = head.headers.get("content-type") ?? "";
        mirror.waitUntil(rememberTag(request, route, cache, { digest, mediaType }).catch(() => {}));
      }
    }
  }
  if (digest) {
    const object: StoredObject | StoredBody | null = request.method === "HEAD" ? await cache.head(manifestKey(digest)) : await cache.get(manifestKey(digest));
    const body = object && "body" in object ? (object as StoredBody).body : null;
    const mediaType = object?.httpMetadata?.contentType ?? "";
    if (object && accepts(request, mediaType)) {
      if (!verified && visibilityOf(object) === "private") {
        const refusal = await verifyRequester(request, route, `manifests/${digest}`);
        if (refusal) {
          await body?.cancel();
          return refusal;
        }
      }
      const headers = manifestHeaders(digest, mediaType, object.size);
      return new Response(body, { headers });
    }
  }
  // Not cached: fetch it (by digest when we know it) and keep it.
  const reference = digest ?? route.reference;
  const upstream = await callUpstream(request, route, `manifests/${reference}`, { method: request.method as "GET" | "HEAD" });
  if (upstream.status !== 200 || request.method === "HEAD") return relayResponse(upstream, request, route);
  const declared = Number(upstream.headers.get("content-length") ?? "0");
  if (declared > MAX_MANIFEST) return relayResponse(upstream, request, route);
  const bytes = new Uint8Array(await upstream.arrayBuffer());
  if (bytes.byteLength > MAX_MANIFEST) return registryError(502, "MANIFEST_INVALID", `${route.key} sent a manifest larger than ${MAX_MANIFEST} bytes`);
  const actual = await sha256Digest(bytes);
  if (DIGEST.test(reference) && actual !== reference) {
    return registryError(502, "MANIFEST_INVALID", `${route.key} sent a manifest whose digest is ${actual}, not ${reference}; not passing it on`);
  }
  const mediaType = upstream.headers.get("content-type") ?? "application/octet-stream";
  mirror.waitUntil(storeManifest(request, route, cache, actual, mediaType, bytes, !byDigest && !digest).catch((error: unknown) => console.warn(`caching manifest ${actual}: ${String(error)}`)));
  return new Response(bytes, { headers: manifestHeaders(actual, mediaType, bytes.byteLength) });
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
function refusalOrRelay(head: Response, request: Request, route: V2Route): Response {
  if (request.method === "HEAD") return relayResponse(head, request, route);
  return refusalFor(head, request, route);
}

async function storeManifest(request: Request, route: V2Route, cache: BlobStore, digest: string, mediaType: string, bytes: Uint8Array, fromTag: boolean): Promise<void> {
  const visibility = await visibilityFor(request, route, `manifests/${digest}`);
  await cache.put(manifestKey(digest), bytes, {
    sha256: digest.slice("sha256:".length),
    httpMetadata: { contentType: mediaType },
    customMetadata: { visibility, source: `${route.key}/${route.upstreamName}` },
  });
  if (fromTag) await writeTag(cache, route, visibility, { digest, mediaType });
}

async function rememberTag(request: Request, route: V2Route, cache: BlobStore, entry: TagEntry): Promise<void> {
  const visibility = await visibilityFor(request, route, `manifests/${route.reference}`);
  await writeTag(cache, route, visibility, entry);
}

/** Only public resolutions are kept: a private tag is resolved with the requester's own credentials every time. */
async function writeTag(cache: BlobStore, route: V2Route, visibility: Visibility, entry: TagEntry): Promise<void> {
  if (visibility !== "public") return;
  await cache.put(tagKey(route, route.reference), "", {
    customMetadata: { digest: entry.digest, mediaType: entry.mediaType, resolvedAt: String(Date.now()) },
  });
}

async function readTag(cache: BlobStore, route: V2Route, ttlSeconds: number): Promise<TagEntry | null> {
  if (ttlSeconds <= 0) return null;
  const object = await cache.head(tagKey(route, route.reference));
  const meta = object?.customMetadata;
  if (!meta?.digest || !DIGEST.test(meta.digest)) return null;
  if (Date.now() - Number(meta.resolvedAt) > ttlSeconds * 1000) return null;
  return { digest: meta.digest, mediaType: meta.mediaType ?? "" };
}

