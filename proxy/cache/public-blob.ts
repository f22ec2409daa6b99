// A blob the cache holds as public, for what reads anonymously (/api/download): anyone
// may be served those. A private blob is never read here; the upstream's anonymous
// answer decides about it. The reader verifies the bytes as it would upstream's.
import { blobKey, visibilityOf } from "./keys.ts";
import type { BlobStore } from "./store.ts";

/** Reads one public blob of `size` bytes from the cache; null when it is not held as such. */
export type PublicBlobReader = (digest: string, size: number) => Promise<ReadableStream<Uint8Array> | null>;

export function publicBlobReader(store: BlobStore): PublicBlobReader {
  return async (digest, size) => {
    const key = blobKey(digest);
    const meta = await store.head(key);
    if (!meta || visibilityOf(meta) !== "public" || meta.size !== size) return null;
    return ((await store.get(key))?.body as ReadableStream<Uint8Array> | undefined) ?? null;
  };
}
