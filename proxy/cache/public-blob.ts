// A blob the cache holds as public, for what reads anonymously (/api/download): anyone
// may be served those. A private blob is never read here; the upstream's anonymous
// answer decides about it. The reader verifies the bytes as it would upstream's.
import { blobKey, visibilityOf } from "./keys.ts";
import type { BlobStore } from "./store.ts";
import { readWindowed } from "./windowed-read.ts";

/** Reads one public blob of `size` bytes from the cache; null when it is not held as such. */
export type PublicBlobReader = (digest: string, size: number) => Promise<ReadableStream<Uint8Array> | null>;

/** `readWindow`: the most one R2 read asks for (config.ts). */
export function publicBlobReader(store: BlobStore, readWindow: number): PublicBlobReader {
  return async (digest, size) => {
    const key = blobKey(digest);
    const meta = await store.head(key);
    if (!meta || visibilityOf(meta) !== "public" || meta.size !== size) return null;
    return readWindowed(store, key, size, null, readWindow);
  };
}
