// Blobs and manifests for the proxy tests: random content with its digest, the R2 keys
// the mirror keeps them under, and a client's view of the mirror (its token, its reads).
import { createHash, randomBytes } from "node:crypto";
import { readTar } from "../../shared/tar-reader.ts";
import { imageConfig, imageManifest } from "../harness/image-pieces.ts";
import type { FakeRegistry } from "./fake-registry.ts";
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

const sized = (blob: TestBlob) => ({ digest: blob.digest, size: blob.bytes.byteLength });

/** A small image manifest naming `layer`, as bytes with its digest. */
export function manifestFor(layer: TestBlob): TestBlob & { mediaType: string } {
  const { mediaType, bytes } = imageManifest("oci", sized(layer), [sized(layer)]);
  return { ...digestOf(bytes), mediaType };
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

/** A layer of a test image: its bytes, and whether the upstream lacks it or it is foreign. */
export interface ImageLayer {
  blob: TestBlob;
  /** Not given to the upstream. */
  missing?: boolean;
  /** A foreign layer at these URLs. */
  urls?: string[];
}

/**
 * A single-platform Docker image in a new public `repository` of the fake upstream, tagged
 * "1", its config holding `config` besides the platform and diff_ids; its reference as
 * /api/download takes it.
 */
export function pushImage(upstream: FakeRegistry, repository: string, layers: (TestBlob | ImageLayer)[], config: Record<string, unknown> = {}): string {
  const all = layers.map((layer): ImageLayer => ("blob" in layer ? layer : { blob: layer }));
  upstream.addRepository(repository, { private: false });
  const configBlob = digestOf(imageConfig({ diffIds: all.map((l) => l.blob.digest), extra: config }));
  upstream.addBlob(repository, configBlob.digest, configBlob.bytes);
  for (const layer of all) if (!layer.missing && !layer.urls) upstream.addBlob(repository, layer.blob.digest, layer.blob.bytes);
  const { mediaType, bytes } = imageManifest("docker", sized(configBlob), all.map(({ blob, urls }) => ({ ...sized(blob), ...(urls ? { urls } : {}) })));
  upstream.addManifest(repository, "1", { ...digestOf(bytes), mediaType });
  return `${UPSTREAM_KEY}/${repository}:1`;
}

/** The tar's blobs/sha256/<hex> files. */
export async function blobsIn(tar: Uint8Array): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const source = new Blob([tar as Uint8Array<ArrayBuffer>]).stream();
  for await (const { entry, body } of readTar(source)) {
    if (entry.type !== "file" || !entry.name.startsWith("blobs/sha256/")) continue;
    const chunks: Uint8Array[] = [];
    for await (const chunk of body()) chunks.push(chunk);
    files.set(`sha256:${entry.name.slice("blobs/sha256/".length)}`, new Uint8Array(Buffer.concat(chunks)));
  }
  return files;
}

/** A private repository upstream holding a 20 kB layer and its manifest (under `tag`, or by digest only when null). */
export function addPrivateImage(mirror: MirrorUnderTest, repository: string, tag: string | null): { layer: TestBlob; manifest: ReturnType<typeof manifestFor> } {
  const layer = randomBlob(20_000);
  const manifest = manifestFor(layer);
  mirror.upstream.addRepository(repository, { private: true });
  mirror.upstream.addBlob(repository, layer.digest, layer.bytes);
  mirror.upstream.addManifest(repository, tag, manifest);
  return { layer, manifest };
}
