// The registry client: the distribution API's pull side, direct to a registry or
// through a dockerdl mirror (`proxy`). It reads manifests (verified against their
// digest), resolves a reference and platform to everything a download needs
// (resolve.ts), lists tags page by page, and reads blob ranges for the download engine
// (blobs.ts). Every request goes through one Transport (auth, redirects, errors, caps).
//
// Where requests go:
//   direct:  docker.io → https://registry-1.docker.io/v2/library/ubuntu/…
//            ghcr.io   → https://ghcr.io/v2/owner/app/…   (http for localhost, 127.0.0.1, --insecure)
//   proxy:   docker.io → <proxy>/v2/library/ubuntu/…
//            ghcr.io   → <proxy>/v2/ghcr.io/owner/app/…   (the mirror's route for other registries)

import type { HttpBody } from "../http.ts";
import { sha256Digest } from "../digest.ts";
import { DockerdlError } from "../errors.ts";
import { parseManifest } from "../manifest.ts";
import { MANIFEST_ACCEPT } from "../media-types.ts";
import type { Platform } from "../platform.ts";
import { DOCKER_HUB, familiarName, familiarRepository, isLoopbackRegistry, type Reference } from "../reference.ts";
import { pullScope } from "./auth.ts";
import { RegistryError } from "./errors.ts";
import { bodyStream, fetchBlobRange, type BlobBody, type BlobRange, type LayerDescriptor } from "./blobs.ts";
import { listTagPages, type TagList } from "./tags.ts";
import { resolveImage, type ResolvedImage } from "./resolve.ts";
import { Transport, type AuthTarget, type TransportOptions } from "./transport.ts";

export type { Credentials } from "./auth.ts";
export type { BlobRange, LayerDescriptor } from "./blobs.ts";
export type { ResolvedImage } from "./resolve.ts";
export type { TagList } from "./tags.ts";

export interface RegistryClientOptions extends TransportOptions {
  /** Base URL of a dockerdl mirror (the Worker); every request then goes there. */
  proxy?: string;
  /** Plain http for every registry, not only localhost ones. */
  insecure?: boolean;
  /** Registry name → base URL, overriding where a registry is reached (tests, private mirrors, the Worker's UPSTREAMS). */
  endpoints?: Record<string, string>;
  /** Reach only the registries in `endpoints`; any other is refused (the Worker: never an open proxy). */
  endpointsOnly?: boolean;
  /**
   * Foreign layers are fetched from the URLs their manifest names ("fetch", the default,
   * as the CLI does), or refused ("refuse": the Worker, which would otherwise fetch any
   * public URL a manifest names; containerd and docker refuse them too unless configured).
   */
  foreignLayers?: "fetch" | "refuse";
}

export interface FetchedManifest {
  bytes: Uint8Array;
  digest: string;
  mediaType: string;
}

export interface Endpoint {
  /** Base URL without a trailing slash; requests go to `${base}/v2/${name}/…`. */
  base: string;
  /** The repository's name there. */
  name: string;
  /** The registry as messages name it. */
  host: string;
}

const MANIFEST_LIMIT = 4 << 20;
const CONFIG_LIMIT = 16 << 20;

export class RegistryClient {
  readonly #options: RegistryClientOptions;
  readonly #transport: Transport;

  constructor(options: RegistryClientOptions) {
    this.#options = options;
    this.#transport = new Transport(options);
  }

  /** The base URL and repository path that requests for `ref` use. */
  endpoint(ref: Reference): Endpoint {
    const proxy = this.#options.proxy;
    if (proxy !== undefined) {
      const base = proxy.replace(/\/+$/, "");
      const name = ref.registry === DOCKER_HUB ? ref.repository : `${ref.registry}/${ref.repository}`;
      return { base, name, host: new URL(base).host };
    }
    const override = this.#options.endpoints?.[ref.registry];
    if (override === undefined && this.#options.endpointsOnly) {
      throw new DockerdlError("NOT_FOUND", `registry ${ref.registry} is not one this client may reach`, { hint: "check the image name" });
    }
    const base = (override ?? defaultBase(ref.registry, this.#options.insecure ?? false)).replace(/\/+$/, "");
    return { base, name: ref.repository, host: ref.registry === DOCKER_HUB && override === undefined ? "Docker Hub" : new URL(base).host };
  }

  /** `${base}/v2/${name}/${path}` and who to authenticate as for it. */
  #locate(ref: Reference, path: string): { url: string; target: AuthTarget } {
    const { base, name, host } = this.endpoint(ref);
    return { url: `${base}/v2/${name}/${path}`, target: { base, host, scope: pullScope(name) } };
  }

  /**
   * GET a manifest by tag or digest. The bytes must hash to the digest asked for (or to
   * the Docker-Content-Digest the registry names for a tag), and be a manifest.
   */
  getManifest(ref: Reference, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    return this.#transport.retrying(() => this.#getManifest(ref, reference, signal), signal);
  }

  async #getManifest(ref: Reference, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const what = `${familiarName(ref)}${reference === ref.digest || reference === ref.tag ? "" : ` (manifest ${reference})`}`;
    const { url, target } = this.#locate(ref, `manifests/${reference}`);
    const { response, bytes } = await this.#transport.readSmall(target, url, { accept: MANIFEST_ACCEPT }, MANIFEST_LIMIT, what, signal);
    const digest = await sha256Digest(bytes);
    const expected = reference.startsWith("sha256:") ? reference : response.headers.get("docker-content-digest");
    if (expected !== null && expected.startsWith("sha256:") && expected !== digest) {
      throw new DockerdlError("DIGEST_MISMATCH", `the manifest of ${what} hashes to ${digest}, not ${expected} as the registry says`, {
        hint: "the registry or a proxy in between altered the manifest; try again, or try without the proxy",
      });
    }
    const parsed = parseManifest(bytes, response.headers.get("content-type") ?? "");
    return { bytes, digest, mediaType: parsed.mediaType };
  }

  /** A child manifest an index lists: also its size must be what the index says. */
  async getChildManifest(ref: Reference, descriptor: { digest: string; size: number }, signal?: AbortSignal): Promise<FetchedManifest> {
    const manifest = await this.getManifest(ref, descriptor.digest, signal);
    if (manifest.bytes.length !== descriptor.size) {
      throw new DockerdlError("BAD_MANIFEST", `the manifest of ${familiarName(ref)} for ${descriptor.digest} is ${manifest.bytes.length} bytes, but the index says ${descriptor.size}`, {
        hint: "the image's index is broken; ask its publisher to push it again",
      });
    }
    return manifest;
  }

  /** A small blob (an image config) whole, checked against its digest and size. */
  getSmallBlob(ref: Reference, digest: string, size: number, what: string, signal?: AbortSignal): Promise<Uint8Array> {
    return this.#transport.retrying(async () => {
      if (size > CONFIG_LIMIT) {
        throw new DockerdlError("BAD_MANIFEST", `${what} is ${size} bytes; dockerdl reads configs of up to ${CONFIG_LIMIT} bytes`, { hint: "this does not look like a container image" });
      }
      const { url, target } = this.#locate(ref, `blobs/${digest}`);
      const { bytes } = await this.#transport.readSmall(target, url, {}, CONFIG_LIMIT, what, signal);
      const actual = await sha256Digest(bytes);
      if (actual !== digest || bytes.length !== size) {
        throw new DockerdlError("DIGEST_MISMATCH", `${what} (${digest}) arrived as ${bytes.length} bytes hashing to ${actual}`, {
          hint: "the registry or a proxy in between sent the wrong data; try again",
        });
      }
      return bytes;
    }, signal);
  }

  /**
   * Reference + platform → everything needed (a multi-platform image without `platform`
   * takes `defaultPlatform`, or its only platform) to plan and fill the archive, verified.
   */
  resolveImage(ref: Reference, platform?: Platform, options: { defaultPlatform?: Platform; signal?: AbortSignal } = {}): Promise<ResolvedImage> {
    return resolveImage(this, ref, platform, options);
  }

  /**
   * The repository's tags in the registry's order, following its pages (the spec's `n`
   * and `last`) until `max` names; `truncated` when there are more.
   */
  listTags(ref: Reference, options: { max?: number; pageSize?: number; signal?: AbortSignal } = {}): Promise<TagList> {
    const name = familiarRepository(ref);
    return listTagPages((last, n) => {
      const query = `n=${n}${last === undefined ? "" : `&last=${encodeURIComponent(last)}`}`;
      const { url, target } = this.#locate(ref, `tags/list?${query}`);
      return this.#transport.retrying(() => this.#transport.readSmall(target, url, { accept: "application/json" }, MANIFEST_LIMIT, `the tag list of ${name}`, options.signal), options.signal);
    }, name, options);
  }

  /**
   * A blob's bytes [start, end) as a body of exactly that many bytes (fewer only if
   * the connection breaks; the engine checks). With `runOn`, a server that ignored the
   * Range has its body run on to the blob's end, marked `runsOn` (the engine reads on).
   */
  async fetchBlobBody(ref: Reference, blob: LayerDescriptor, range?: BlobRange, signal?: AbortSignal, runOn = false): Promise<BlobBody> {
    if (blob.urls !== undefined) this.#checkForeign(ref, blob);
    return fetchBlobRange(this.#transport, this.#locate(ref, `blobs/${blob.digest}`), blob, `blob ${blob.digest} of ${familiarName(ref)}`, range, signal, runOn ? "run-on" : "sliced");
  }

  /**
   * The whole blob's body (from byte `from` to its end: a transfer resumed) as the
   * transport gave it (a Worker's native stream, read in large chunks), not held to its
   * length: only for a caller that checks size and digest itself (shared/verify.ts).
   */
  async fetchWholeBlobUnchecked(ref: Reference, blob: LayerDescriptor, signal?: AbortSignal, from = 0): Promise<HttpBody> {
    if (blob.urls !== undefined) this.#checkForeign(ref, blob);
    const range = from === 0 ? undefined : { start: from, end: blob.size };
    return fetchBlobRange(this.#transport, this.#locate(ref, `blobs/${blob.digest}`), blob, `blob ${blob.digest} of ${familiarName(ref)}`, range, signal, "unsliced");
  }

  /** The same as a web ReadableStream, to hand on. */
  async fetchBlob(ref: Reference, blob: LayerDescriptor, range?: BlobRange, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    return bodyStream(await this.fetchBlobBody(ref, blob, range, signal));
  }

  /**
   * Throws unless every layer can be had, for a caller that must know before it sends a
   * first byte (the Worker's /api/download): foreign layers must be allowed (their URLs
   * are not asked), the others answer a HEAD, a few at a time.
   */
  async checkLayersReadable(ref: Reference, layers: readonly LayerDescriptor[], signal?: AbortSignal): Promise<void> {
    for (const layer of layers) if (layer.urls !== undefined) this.#checkForeign(ref, layer);
    const queue = layers.filter((layer) => layer.urls === undefined);
    const check = async () => {
      for (let layer = queue.shift(); layer !== undefined; layer = queue.shift()) {
        const digest = layer.digest;
        if (await this.#transport.retrying(() => this.canRead(ref, `blobs/${digest}`, signal), signal)) continue;
        throw new RegistryError("UPSTREAM", `layer ${digest} of ${familiarName(ref)} cannot be read from ${this.endpoint(ref).host}: it is missing or refused`, {
          hint: "the image is incomplete on its registry; ask its publisher to push it again",
        });
      }
    };
    await Promise.all([check(), check(), check(), check()]);
  }

  #checkForeign(ref: Reference, layer: LayerDescriptor): void {
    if (this.#options.foreignLayers !== "refuse") return;
    throw new DockerdlError("FOREIGN_LAYER", `layer ${layer.digest} of ${familiarName(ref)} is a foreign layer, which this server does not fetch from the URLs the manifest names`, {
      hint: "download the image with the dockerdl CLI, which fetches foreign layers",
    });
  }

  /**
   * Whether `path` ("manifests/<ref>" or "blobs/<digest>") of the repository may be read
   * with this client's credentials (none: anonymously), asked with a HEAD so no content
   * moves. Refusals and absence are false; faults that say nothing about access throw.
   */
  async canRead(ref: Reference, path: string, signal?: AbortSignal): Promise<boolean> {
    const { url, target } = this.#locate(ref, path);
    try {
      const response = await this.#transport.request(target, url, { method: "HEAD", headers: path.startsWith("manifests/") ? { accept: MANIFEST_ACCEPT } : {} }, `${familiarName(ref)} ${path}`, signal);
      await response.body?.cancel().catch(() => {});
      return true;
    } catch (error) {
      if (error instanceof DockerdlError && (error.code === "UNAUTHORIZED" || error.code === "NOT_FOUND")) return false;
      throw error;
    }
  }
}

/** Docker Hub's API host, https elsewhere, http for loopback registries. */
export function defaultBase(registry: string, insecure: boolean): string {
  if (registry === DOCKER_HUB) return "https://registry-1.docker.io";
  return `${insecure || isLoopbackRegistry(registry) ? "http" : "https"}://${registry}`;
}
