// A blob the cache holds as public, for what reads anonymously (/api/download): anyone
// may be served those. A private blob is never read here; the upstream's anonymous
// answer decides about it. Its bytes are poured natively into the caller's stream and
// not hashed again: R2 checked them against the digest when they were stored (a single
// put's sha256) or the fill did (a multipart upload completes only when its hash matches).
import { blobKey, visibilityOf } from "./keys.ts";
import type { BlobStore } from "./store.ts";
import { pourWindowed } from "./windowed-read.ts";

/** Pours the blob into `out` (left open); rejects if the cache loses it mid-way. */
export type BlobPour = (out: WritableStream) => Promise<void>;

/** One public blob of `size` bytes in the cache, ready to pour; null when it is not held as such (one R2 lookup). */
export type PublicBlobReader = (digest: string, size: number) => Promise<BlobPour | null>;

/** `readWindow`: the most one R2 read asks for (config.ts). */
export function publicBlobReader(store: BlobStore, readWindow: number): PublicBlobReader {
  return async (digest, size) => {
    const key = blobKey(digest);
    const meta = await store.head(key);
    if (!meta || visibilityOf(meta) !== "public" || meta.size !== size) return null;
    return (out) => pourWindowed(store, key, size, readWindow, out);
  };
}
