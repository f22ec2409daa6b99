// Blobs and manifests for the worker tests: random content with its digest, the R2 keys
// the mirror keeps them under, and a client's view of the mirror (its token, its reads).
import { createHash, randomBytes } from "node:crypto";
import { UPSTREAM_KEY, type MirrorUnderTest } from "./mirror.ts";

export interface TestBlob {
  digest: string;
  hex: string;
  bytes: Uint8Array;
}

export function digestOf(bytes: Uint8Array): TestBlob {
  const hex = createHash("sha256").update(bytes).digest("hex");
  return { digest: `sha256:${hex}`, hex, bytes };
}

export function randomBlob(size: number): TestBlob {
  return digestOf(new Uint8Array(randomBytes(size)));
}

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

/** A small image manifest naming `layer`, as bytes with its digest. */
export function manifestFor(layer: TestBlob): TestBlob & { mediaType: string } {
  const json = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: layer.digest, size: layer.bytes.byteLength },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layer.digest, size: layer.bytes.byteLength }],
  });
  return { ...digestOf(new TextEncoder().encode(json)), mediaType: OCI_MANIFEST };
}

/** Where the mirror keeps a blob or manifest in R2 (proxy/cache/keys.ts). */
export const blobKey = (blob: TestBlob) => `blobs/sha256/${blob.hex}`;
export const manifestKey = (manifest: TestBlob) => `manifests/sha256/${manifest.hex}`;

/** The mirror's path for `path` of `repository` on the fake upstream. */
export const v2Path = (repository: string, path: string) => `/v2/${UPSTREAM_KEY}/${repository}/${path}`;

/** A token from the mirror's /token for pulling `repository`, anonymously or as `basic`. */
export async function pullToken(mirror: MirrorUnderTest, repository: string, basic?: string): Promise<string> {
  const query = new URLSearchParams({ service: UPSTREAM_KEY, scope: `repository:${UPSTREAM_KEY}/${repository}:pull` });
  const response = await mirror.fetch(`/token?${query}`, basic ? { headers: { authorization: basic } } : {});
  if (response.status !== 200) throw new Error(`/token answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

/** A body read to its end; a transfer the Worker breaks off comes back as `error`. */
export async function readAll(response: Response): Promise<{ bytes: Uint8Array | null; error?: unknown }> {
  try {
    return { bytes: new Uint8Array(await response.arrayBuffer()) };
  } catch (error) {
    return { bytes: null, error };
  }
}

export function basicAuth(user: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}`;
}
