// Looks into a Worker's local R2 under `wrangler dev`, through the dev server's local
// explorer API, so a test can wait until the Worker has finished storing what it
// fetched (it stores in waitUntil, after the client already has its answer) instead of
// sleeping for a while. The keys are the mirror's layout (proxy/cache-keys.ts).

/** wrangler.toml's bucket_name for the CACHE binding. */
const BUCKET = "dockerdl-cache";

export const cacheKey = {
  blob: (digest: string) => `blobs/${digest.replace(":", "/")}`,
  manifest: (digest: string) => `manifests/${digest.replace(":", "/")}`,
  /** A public tag's resolution; `registry` is the UPSTREAMS key, `repository` the upstream's name. */
  tag: (registry: string, repository: string, tag: string) => `tags/${registry}/${repository}/${tag}`,
};

/** Whether the Worker at `worker` holds `key` in R2 (asks for metadata only). */
export async function inR2(worker: string, key: string): Promise<boolean> {
  const url = `${worker}/cdn-cgi/local/explorer/api/r2/buckets/${BUCKET}/objects/${encodeURIComponent(key)}`;
  const response = await fetch(url, { headers: { "cf-metadata-only": "true" } });
  await response.body?.cancel();
  if (response.status === 404) return false;
  if (!response.ok) throw new Error(`wrangler's local explorer answered ${response.status} for ${key}`);
  return true;
}

/** Those of `keys` the Worker's R2 does not hold (yet). */
export async function missingFromR2(worker: string, keys: string[]): Promise<string[]> {
  const held = await Promise.all(keys.map((key) => inR2(worker, key)));
  return keys.filter((_, i) => !held[i]);
}
