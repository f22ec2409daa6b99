// Pushing to a registry through its own API (distribution's monolithic upload: POST for
// an upload URL, then one PUT with the digest), for the test fixtures and the benches
// alike. A blob the repository holds already is not sent again.

export interface Pusher {
  url: string;
  /** Authorization header value for pushing to `repository`. */
  authorization(repository: string): string | undefined;
}

/** A pusher for a registry without auth. */
export const openPusher = (url: string): Pusher => ({ url, authorization: () => undefined });

function headers(pusher: Pusher, repository: string, extra: Record<string, string> = {}): Record<string, string> {
  const authorization = pusher.authorization(repository);
  return authorization ? { authorization, ...extra } : extra;
}

/** Whether `repository` holds blob `digest`. */
export async function hasBlob(pusher: Pusher, repository: string, digest: string): Promise<boolean> {
  const head = await fetch(`${pusher.url}/v2/${repository}/blobs/${digest}`, { method: "HEAD", headers: headers(pusher, repository) });
  return head.ok;
}

/** The URL to PUT blob `digest`'s bytes to (a caller may send them its own way, e.g. curl streaming a file). */
export async function blobUploadUrl(pusher: Pusher, repository: string, digest: string): Promise<URL> {
  const start = await fetch(`${pusher.url}/v2/${repository}/blobs/uploads/`, { method: "POST", headers: headers(pusher, repository) });
  if (start.status !== 202) throw new Error(`blob upload to ${repository} refused: ${start.status} ${await start.text()}`);
  await start.body?.cancel();
  const location = new URL(start.headers.get("location") ?? "", pusher.url);
  location.searchParams.set("digest", digest);
  return location;
}

export async function pushBlob(pusher: Pusher, repository: string, blob: { digest: string; bytes: Uint8Array }): Promise<void> {
  if (await hasBlob(pusher, repository, blob.digest)) return;
  const put = await fetch(await blobUploadUrl(pusher, repository, blob.digest), {
    method: "PUT",
    headers: headers(pusher, repository, { "content-type": "application/octet-stream" }),
    body: blob.bytes as Uint8Array<ArrayBuffer>,
  });
  if (put.status !== 201) throw new Error(`blob ${blob.digest} upload to ${repository} failed: ${put.status} ${await put.text()}`);
  await put.body?.cancel();
}

export async function pushManifest(pusher: Pusher, repository: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<void> {
  const put = await fetch(`${pusher.url}/v2/${repository}/manifests/${reference}`, {
    method: "PUT",
    headers: headers(pusher, repository, { "content-type": mediaType }),
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  if (put.status !== 201) throw new Error(`manifest ${repository}:${reference} push failed: ${put.status} ${await put.text()}`);
  await put.body?.cancel();
}
