// Layers this browser already holds, by digest, in the Cache API: the explorer stores
// each layer it fetches (after the engine has verified its sha256), so browsing and then
// exporting, or opening the same image again, does not download it twice. Bounded: past
// the budget the least recently used layers go. A browser without the Cache API (an
// insecure origin) simply has no cache.

const CACHE_NAME = "dockerdl-layers";
const KEY_PREFIX = "/_layer-cache/";
const SIZE = "x-dockerdl-size";
const USED = "x-dockerdl-used";
/** Never more than this, and never more than a quarter of what the origin may store. */
const MAX_BUDGET = 4 * 1024 ** 3;

const keyOf = (digest: string): string => `${self.location.origin}${KEY_PREFIX}${digest}`;

async function open(): Promise<Cache | undefined> {
  try {
    return typeof caches === "undefined" ? undefined : await caches.open(CACHE_NAME);
  } catch {
    return undefined;
  }
}

/** The layer's bytes as stored, or undefined when this browser does not hold it (whole). */
export async function cachedLayer(digest: string, size: number): Promise<ReadableStream<Uint8Array> | undefined> {
  const cache = await open();
  const found = await cache?.match(keyOf(digest));
  if (!found?.body) return undefined;
  if (Number(found.headers.get(SIZE)) !== size) {
    await cache?.delete(keyOf(digest));
    return undefined;
  }
  return found.body;
}

/**
 * Stores `body` under `digest`. The caller errors the stream if the bytes turn out
 * wrong; the Cache API then stores nothing, so only verified layers are ever kept.
 */
export async function storeLayer(digest: string, size: number, body: ReadableStream<Uint8Array>, keep: readonly string[]): Promise<boolean> {
  const cache = await open();
  if (!cache) {
    await body.cancel().catch(() => {});
    return false;
  }
  try {
    await cache.put(keyOf(digest), new Response(body as ReadableStream<Uint8Array<ArrayBuffer>>, {
      headers: { "content-type": "application/octet-stream", [SIZE]: String(size), [USED]: String(Date.now()) },
    }));
  } catch {
    return false;
  }
  await evict(cache, keep).catch(() => {});
  return true;
}

async function budget(): Promise<number> {
  const quota = (await navigator.storage?.estimate?.().catch(() => undefined))?.quota ?? 0;
  return quota > 0 ? Math.min(MAX_BUDGET, quota / 4) : MAX_BUDGET;
}

/** Drops the least recently stored layers beyond the budget, never those in `keep`. */
async function evict(cache: Cache, keep: readonly string[]): Promise<void> {
  const entries: { key: Request; size: number; used: number; digest: string }[] = [];
  for (const key of await cache.keys()) {
    const response = await cache.match(key);
    if (!response) continue;
    await response.body?.cancel();
    const digest = new URL(key.url).pathname.slice(KEY_PREFIX.length);
    entries.push({ key, digest, size: Number(response.headers.get(SIZE)) || 0, used: Number(response.headers.get(USED)) || 0 });
  }
  let total = entries.reduce((sum, e) => sum + e.size, 0);
  const limit = await budget();
  for (const entry of entries.sort((a, b) => a.used - b.used)) {
    if (total <= limit) break;
    if (keep.includes(entry.digest)) continue;
    await cache.delete(entry.key);
    total -= entry.size;
  }
}
