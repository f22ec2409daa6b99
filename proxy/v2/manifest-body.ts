// A manifest as an upstream sends it, read and checked before anything is served or
// stored: at most 4 MiB read (the spec's suggested limit; the read stops there, so a
// 64 MiB body without Content-Length never sits in the isolate's 128 MB), the digest
// asked for, and a manifest media type. The Worker shares its origin with the PWA, so
// an upstream's text/html must never be served from it: the type comes from the body's
// own `mediaType` when that is a manifest type, else the upstream's Content-Type when it
// is one, else the manifest is refused.
import { isDigest, sha256Digest } from "../../shared/digest.ts";
import { readBody } from "../../shared/http.ts";
import { isImageManifestMediaType, isIndexMediaType, isSchema1MediaType } from "../../shared/media-types.ts";
import { registryErrorResponse } from "./errors.ts";
import type { V2Route } from "./route.ts";

export const MAX_MANIFEST = 4 * 1024 * 1024;

export interface CheckedManifest {
  bytes: Uint8Array;
  digest: string;
  mediaType: string;
}

export function isManifestMediaType(mediaType: string | null | undefined): mediaType is string {
  if (!mediaType) return false;
  return isIndexMediaType(mediaType) || isImageManifestMediaType(mediaType) || isSchema1MediaType(mediaType);
}

/** The media type of a Content-Type header, without parameters, lowercased. */
function bareType(contentType: string | null): string | null {
  return contentType?.split(";")[0].trim().toLowerCase() || null;
}

function declaredMediaType(bytes: Uint8Array): string | null {
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
    const mediaType = value && typeof value === "object" ? (value as { mediaType?: unknown }).mediaType : undefined;
    return typeof mediaType === "string" ? mediaType : null;
  } catch {
    return null;
  }
}

/** The media type to serve `bytes` with, or null when it is not a manifest we may serve. */
export function manifestMediaType(bytes: Uint8Array, contentType: string | null): string | null {
  const declared = declaredMediaType(bytes);
  if (isManifestMediaType(declared)) return declared;
  const upstream = bareType(contentType);
  return isManifestMediaType(upstream) ? upstream : null;
}

/** The upstream's 200 answer read and checked; a Response is the refusal to send instead. */
export async function readManifest(upstream: Response, route: V2Route, reference: string): Promise<CheckedManifest | Response> {
  let bytes: Uint8Array;
  try {
    bytes = await readBody(upstream, MAX_MANIFEST);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return registryErrorResponse(502, "MANIFEST_INVALID", `${route.key} sent a manifest larger than ${MAX_MANIFEST} bytes; not reading it`);
  }
  const digest = await sha256Digest(bytes);
  if (isDigest(reference) && digest !== reference) {
    return registryErrorResponse(502, "MANIFEST_INVALID", `${route.key} sent a manifest whose digest is ${digest}, not ${reference}; not passing it on`);
  }
  const mediaType = manifestMediaType(bytes, upstream.headers.get("content-type"));
  if (!mediaType) {
    return registryErrorResponse(502, "MANIFEST_INVALID", `${route.key} sent something that is not an image manifest or index (Content-Type: ${upstream.headers.get("content-type") ?? "none"}); not passing it on`);
  }
  return { bytes, digest, mediaType };
}
