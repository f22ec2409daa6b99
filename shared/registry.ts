// The registry client: the distribution API's pull side, direct to a registry or
// through a dockerdl mirror (`proxy`). It resolves a reference and platform to a
// verified manifest, config and layer list (resolveImage), and fetches blob ranges for
// the download engine (fetchBlob). Every answer that is not what we asked for becomes
// a DockerdlError that says what happened and what to do.
//
// Where requests go:
//   direct:  docker.io → https://registry-1.docker.io/v2/library/ubuntu/…
//            ghcr.io   → https://ghcr.io/v2/owner/app/…   (http for localhost, 127.0.0.1, --insecure)
//   proxy:   docker.io → <proxy>/v2/library/ubuntu/…
//            ghcr.io   → <proxy>/v2/ghcr.io/owner/app/…   (the mirror's route for other registries)

import { sha256Digest } from "./digest.ts";
import { DockerdlError } from "./errors.ts";
import type { HttpFetch, HttpRequestInit, HttpResponse } from "./http.ts";
import { discardBody, readBody } from "./http.ts";
import {
  checkConfigMatchesManifest,
  foreignLayerUrls,
  parseImageConfig,
  parseManifest,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
} from "./manifest.ts";
import { MANIFEST_ACCEPT } from "./media-types.ts";
import { availablePlatforms, normalizePlatform, selectManifest, type Platform } from "./platform.ts";
import { DOCKER_HUB, familiarName, formatReference, repoTag, type Reference } from "./reference.ts";
import { pullScope, RegistryAuth, type Credentials } from "./registry-auth.ts";
import { errorFromResponse, isTransient, networkError, RegistryError } from "./registry-errors.ts";
import type { ArchiveImage } from "./image-archive.ts";

export type { Credentials } from "./registry-auth.ts";

export interface RegistryClientOptions {
  fetch: HttpFetch;
  /** Base URL of a dockerdl mirror (the Worker); every request then goes there. */
  proxy?: string;
  credentials?: Credentials;
  /** Plain http for every registry, not only localhost ones. */
  insecure?: boolean;
  /** Registry name → base URL, overriding where a registry is reached (tests, private mirrors). */
  endpoints?: Record<string, string>;
  /**
   * "manual" (default) follows redirects here, so Authorization never goes to another
   * origin (blob GETs answer 307 to a CDN). Browsers hide a manual redirect's Location;
   * there "follow" lets the browser do it (the Fetch spec drops Authorization itself).
   */
  redirects?: "manual" | "follow";
  /** Retries of manifest and config requests on transient faults (default 3; blobs are the engine's). */
  retries?: number;
  /** First retry delay, doubled each time (default 500 ms); a Retry-After wins. */
  retryDelayMs?: number;
}

/** A layer as the engine needs it: where it goes comes from the plan, where from here. */
export interface LayerDescriptor {
  digest: string;
  size: number;
  mediaType: string;
  /** For foreign layers only: fetched from these URLs instead of the registry. */
  urls?: string[];
}

export interface FetchedManifest {
  bytes: Uint8Array;
  digest: string;
  mediaType: string;
}

export interface ResolvedImage {
  reference: Reference;
  /** Set when the reference named a multi-platform index. */
  index?: FetchedManifest & { index: ImageIndex };
  /** The platforms the reference offers (one for a single-platform image). */
  platforms: Platform[];
  /** The platform of the image chosen. */
  platform: Platform;
  manifest: FetchedManifest & { manifest: ImageManifest };
  config: { bytes: Uint8Array; digest: string; config: ImageConfig };
  layers: LayerDescriptor[];
}

export interface ByteRange {
  start: number;
  /** Exclusive. */
  end: number;
}

const MANIFEST_LIMIT = 4 << 20;
const CONFIG_LIMIT = 16 << 20;
const MAX_REDIRECTS = 5;

export class RegistryClient {
  readonly #options: RegistryClientOptions;
  readonly #auth: RegistryAuth;

  constructor(options: RegistryClientOptions) {
    this.#options = options;
    this.#auth = new RegistryAuth(options.fetch, options.credentials);
  }

  /** The base URL and repository path that requests for `ref` use. */
  endpoint(ref: Reference): { base: string; name: string; host: string } {
    const proxy = this.#options.proxy;
    if (proxy !== undefined) {
      const base = proxy.replace(/\/+$/, "");
      const name = ref.registry === DOCKER_HUB ? ref.repository : `${ref.registry}/${ref.repository}`;
      return { base, name, host: new URL(base).host };
    }
    const override = this.#options.endpoints?.[ref.registry];
    const base = (override ?? defaultBase(ref.registry, this.#options.insecure ?? false)).replace(/\/+$/, "");
    return { base, name: ref.repository, host: ref.registry === DOCKER_HUB && override === undefined ? "Docker Hub" : new URL(base).host };
  }

  /** GET a manifest by tag or digest, verifying the bytes against the digest. */
  getManifest(ref: Reference, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    return this.#retrying(() => this.#getManifest(ref, reference, signal), signal);
  }

  async #getManifest(ref: Reference, reference: string, signal?: AbortSignal): Promise<FetchedManifest> {
    const what = `${familiarName(ref)}${reference === ref.digest || reference === ref.tag ? "" : ` (manifest ${reference})`}`;
    const { response, bytes } = await this.#getBody(ref, `manifests/${reference}`, { accept: MANIFEST_ACCEPT }, MANIFEST_LIMIT, what, signal);
    const digest = await sha256Digest(bytes);
    const expected = reference.startsWith("sha256:") ? reference : response.headers.get("docker-content-digest");
    if (expected !== null && expected.startsWith("sha256:") && expected !== digest) {
      throw new DockerdlError("DIGEST_MISMATCH", `the manifest of ${what} hashes to ${digest}, not ${expected} as the registry says`, {
        hint: "the registry or a proxy in between altered the manifest; try again, or try without the proxy",
      });
    }
    const contentType = response.headers.get("content-type") ?? "";
    const parsed = parseManifest(bytes, contentType);
    return { bytes, digest, mediaType: parsed.mediaType };
  }

  /** The digest a tag points to, without a GET (Docker Hub counts GETs, not HEADs, against its limit). */
  async headManifest(ref: Reference, reference: string, signal?: AbortSignal): Promise<{ digest?: string; mediaType?: string; size?: number }> {
    const response = await this.#request(ref, `manifests/${reference}`, { method: "HEAD", headers: { accept: MANIFEST_ACCEPT } }, familiarName(ref), signal);
    await discardBody(response);
    const size = Number(response.headers.get("content-length") ?? "NaN");
    const out: { digest?: string; mediaType?: string; size?: number } = {};
    const digest = response.headers.get("docker-content-digest");
    const mediaType = response.headers.get("content-type");
    if (digest) out.digest = digest;
    if (mediaType) out.mediaType = mediaType.split(";")[0].trim();
    if (Number.isFinite(size)) out.size = size;
    return out;
  }

  /**
   * Reference + platform → everything needed (a multi-platform image without `platform`
   * takes `defaultPlatform`, or its only platform) to plan and fill the archive, verified:
   * the index (if any), the platform's manifest, its config and its layers.
   */
  async resolveImage(ref: Reference, platform?: Platform, options: { defaultPlatform?: Platform; signal?: AbortSignal } = {}): Promise<ResolvedImage> {
    const { signal } = options;
    const name = familiarName(ref);
    const top = await this.getManifest(ref, ref.digest ?? ref.tag ?? "latest", signal);
    const parsedTop = parseManifest(top.bytes, top.mediaType);
    let index: ResolvedImage["index"];
    let manifest: FetchedManifest;
    let platforms: Platform[];
    let chosen: Platform | undefined;
    if (parsedTop.kind === "index") {
      index = { ...top, index: parsedTop.index };
      platforms = availablePlatforms(parsedTop.index);
      const wanted = platform ?? options.defaultPlatform ?? onlyPlatform(platforms, name);
      const descriptor = selectManifest(parsedTop.index, wanted, name);
      chosen = descriptor.platform;
      manifest = await this.getManifest(ref, descriptor.digest, signal);
      if (manifest.bytes.length !== descriptor.size) {
        throw new DockerdlError("BAD_MANIFEST", `the manifest of ${name} for ${descriptor.digest} is ${manifest.bytes.length} bytes, but the index says ${descriptor.size}`, {
          hint: "the image's index is broken; ask its publisher to push it again",
        });
      }
    } else {
      manifest = top;
      platforms = [];
    }
    const parsed = parseManifest(manifest.bytes, manifest.mediaType);
    if (parsed.kind !== "image") {
      throw new DockerdlError("BAD_MANIFEST", `the index of ${name} points to another index (${manifest.digest}) instead of an image`, {
        hint: "nested indexes are not supported; pick the image by its digest",
      });
    }
    const configDescriptor = parsed.manifest.config;
    const configBytes = await this.#retrying(() => this.#fetchSmallBlob(ref, configDescriptor.digest, configDescriptor.size, `the config of ${name}`, signal), signal);
    const config = parseImageConfig(configBytes);
    checkConfigMatchesManifest(config, parsed.manifest);
    const configPlatform = platformOf(config);
    if (parsedTop.kind === "image") {
      platforms = [configPlatform];
      // A single-platform image must still be the platform asked for: an image for the
      // wrong CPU downloads fine and fails only later, elsewhere.
      if (platform !== undefined) {
        selectManifest({ schemaVersion: 2, manifests: [{ mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length, platform: configPlatform }] }, platform, name);
      }
      chosen = configPlatform;
    }
    const layers = parsed.manifest.layers.map((layer): LayerDescriptor => {
      const urls = foreignLayerUrls(layer);
      const out: LayerDescriptor = { digest: layer.digest, size: layer.size, mediaType: layer.mediaType };
      if (urls !== undefined) out.urls = urls;
      return out;
    });
    return {
      reference: ref,
      ...(index === undefined ? {} : { index }),
      platforms,
      platform: chosen ?? configPlatform,
      manifest: { ...manifest, manifest: parsed.manifest },
      config: { bytes: configBytes, digest: configDescriptor.digest, config },
      layers,
    };
  }

  /**
   * A blob's bytes [start, end) as a stream of exactly that many bytes (fewer only if
   * the connection breaks; the engine checks). A registry that ignores Range gets its
   * leading bytes skipped here, so callers never see the difference.
   */
  async fetchBlob(ref: Reference, blob: LayerDescriptor, range?: ByteRange, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const what = `blob ${blob.digest} of ${familiarName(ref)}`;
    const headers: Record<string, string> = { "accept-encoding": "identity" };
    const partial = range !== undefined && (range.start > 0 || range.end < blob.size);
    if (range !== undefined && partial) headers.range = `bytes=${range.start}-${range.end - 1}`;
    let response: HttpResponse;
    let host: string;
    if (blob.urls !== undefined) {
      ({ response, host } = await this.#fetchForeign(blob.urls, headers, what, signal));
    } else {
      host = this.endpoint(ref).host;
      response = await this.#request(ref, `blobs/${blob.digest}`, { method: "GET", headers }, what, signal);
    }
    if (response.body === null) throw new RegistryError("TRUNCATED", `${host} sent no body for ${what}`, { hint: "try again" });
    const start = range?.start ?? 0;
    const end = range?.end ?? blob.size;
    if (response.status === 206) {
      const contentRange = response.headers.get("content-range");
      const first = contentRange === null ? NaN : Number(/^bytes (\d+)-/.exec(contentRange)?.[1]);
      if (first !== start) {
        await discardBody(response);
        throw new RegistryError("UPSTREAM", `${host} answered bytes ${contentRange ?? "(no Content-Range)"} of ${what} when asked for ${start}-${end - 1}`, {
          hint: "the registry or proxy handles range requests wrongly; try again without --proxy",
        });
      }
      return sliceStream(response.body, 0, end - start);
    }
    return sliceStream(response.body, start, end - start);
  }

  async #fetchSmallBlob(ref: Reference, digest: string, size: number, what: string, signal?: AbortSignal): Promise<Uint8Array> {
    if (size > CONFIG_LIMIT) {
      throw new DockerdlError("BAD_MANIFEST", `${what} is ${size} bytes; dockerdl reads configs of up to ${CONFIG_LIMIT} bytes`, { hint: "this does not look like a container image" });
    }
    const { bytes } = await this.#getBody(ref, `blobs/${digest}`, {}, CONFIG_LIMIT, what, signal);
    const actual = await sha256Digest(bytes);
    if (actual !== digest || bytes.length !== size) {
      throw new DockerdlError("DIGEST_MISMATCH", `${what} (${digest}) arrived as ${bytes.length} bytes hashing to ${actual}`, {
        hint: "the registry or a proxy in between sent the wrong data; try again",
      });
    }
    return bytes;
  }

  /** GETs a small body whole (up to `limit` bytes); a body that breaks off fails naming `what`. */
  async #getBody(ref: Reference, path: string, headers: Record<string, string>, limit: number, what: string, signal?: AbortSignal): Promise<{ response: HttpResponse; bytes: Uint8Array }> {
    const response = await this.#request(ref, path, { method: "GET", headers }, what, signal);
    try {
      return { response, bytes: await readBody(response, limit) };
    } catch (error) {
      throw readError(error, this.endpoint(ref).host, what);
    }
  }

  /** Small requests (manifests, configs) ride out a 5xx, a 429 or a dropped connection. */
  async #retrying<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const retries = this.#options.retries ?? 3;
    for (let failures = 0; ; failures++) {
      try {
        return await attempt();
      } catch (error) {
        if (failures >= retries || !isTransient(error) || signal?.aborted) throw error;
        const retryAfter = error instanceof RegistryError ? error.retryAfterMs : undefined;
        await delay(Math.min(retryAfter ?? (this.#options.retryDelayMs ?? 500) * 2 ** failures, 30_000), signal);
      }
    }
  }

  /** One request with auth: an unauthenticated or stale-token 401 is answered once. */
  async #request(ref: Reference, path: string, init: HttpRequestInit, what: string, signal?: AbortSignal): Promise<HttpResponse> {
    const { base, name, host } = this.endpoint(ref);
    const url = `${base}/v2/${name}/${path}`;
    const scope = pullScope(name);
    let authorization: string | undefined;
    try {
      authorization = await this.#auth.authorization(base, scope, signal);
    } catch (error) {
      throw networkError(error, host, what);
    }
    for (let attempt = 0; ; attempt++) {
      const headers = { ...init.headers, ...(authorization === undefined ? {} : { authorization }) };
      const response = await this.#send(url, { ...init, headers, ...(signal ? { signal } : {}) }, host, what);
      if (response.status === 401 && attempt === 0) {
        const challenge = response.headers.get("www-authenticate");
        await discardBody(response);
        authorization = await this.#auth.answerChallenge(base, challenge, scope, authorization, host, signal);
        continue;
      }
      if (response.status >= 200 && response.status < 300) return response;
      if (init.method === "HEAD") {
        throw await errorFromResponse(response, what, host);
      }
      const error = await errorFromResponse(response, what, host);
      if (error.code === "UNAUTHORIZED" && this.#auth.hasCredentials) {
        throw new RegistryError("UNAUTHORIZED", `${error.message}: the credentials given do not allow pulling it`, {
          hint: "check the username and password, and that this account may pull the image",
          status: response.status,
        });
      }
      throw error;
    }
  }

  /** fetch, following redirects here so Authorization is dropped when the origin changes. */
  async #send(url: string, init: HttpRequestInit, host: string, what: string): Promise<HttpResponse> {
    const mode = this.#options.redirects ?? "manual";
    let current = url;
    let headers = init.headers ?? {};
    for (let hop = 0; ; hop++) {
      let response: HttpResponse;
      try {
        response = await this.#options.fetch(current, { ...init, headers, redirect: mode });
      } catch (error) {
        throw networkError(error, new URL(current).host || host, what);
      }
      if (response.type === "opaqueredirect") {
        // A browser: it will not show us the Location; let it follow (without Authorization
        // across origins, per the Fetch spec).
        try {
          return await this.#options.fetch(current, { ...init, headers, redirect: "follow" });
        } catch (error) {
          throw networkError(error, host, what);
        }
      }
      if (![301, 302, 303, 307, 308].includes(response.status)) return response;
      const location = response.headers.get("location");
      await discardBody(response);
      if (location === null || hop >= MAX_REDIRECTS) {
        throw new RegistryError("UPSTREAM", `${host} redirected ${what} ${location === null ? "without a Location" : "too many times"}`, {
          hint: "the registry or proxy is misconfigured; try again later",
          status: response.status,
        });
      }
      const next = new URL(location, current);
      if (next.origin !== new URL(current).origin) {
        // The CDN behind a registry must never see the registry's token.
        const { authorization: _dropped, ...rest } = headers;
        headers = rest;
      }
      current = next.href;
    }
  }

  async #fetchForeign(urls: string[], headers: Record<string, string>, what: string, signal?: AbortSignal): Promise<{ response: HttpResponse; host: string }> {
    let last: unknown;
    for (const url of urls) {
      const host = new URL(url).host;
      try {
        const response = await this.#send(url, { method: "GET", headers, ...(signal ? { signal } : {}) }, host, what);
        if (response.status === 200 || response.status === 206) return { response, host };
        last = await errorFromResponse(response, `foreign layer ${what}`, host);
      } catch (error) {
        last = error;
      }
    }
    throw last;
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Docker Hub's API host, https elsewhere, http for loopback registries. */
export function defaultBase(registry: string, insecure: boolean): string {
  if (registry === DOCKER_HUB) return "https://registry-1.docker.io";
  const hostname = registry.replace(/:\d+$/, "");
  const local = hostname === "localhost" || hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(hostname);
  return `${insecure || local ? "http" : "https"}://${registry}`;
}

/** What to give planImageArchive for a resolved image. */
export function archiveImageOf(image: ResolvedImage): ArchiveImage {
  const tag = repoTag(image.reference);
  const out: ArchiveImage = {
    repoTags: tag === undefined ? [] : [tag],
    imageName: formatReference(image.reference),
    manifest: { bytes: image.manifest.bytes, digest: image.manifest.digest, mediaType: image.manifest.mediaType },
    config: { bytes: image.config.bytes, digest: image.config.digest },
    layers: image.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
  };
  if (image.reference.tag !== undefined) out.refName = image.reference.tag;
  return out;
}

function platformOf(config: ImageConfig): Platform {
  const p: Platform = { os: config.os, architecture: config.architecture };
  if (config.variant) p.variant = config.variant;
  if (config["os.version"]) p["os.version"] = config["os.version"];
  return normalizePlatform(p);
}

/** No platform asked for: fine when the index offers exactly one, else the caller must choose. */
function onlyPlatform(platforms: Platform[], name: string): Platform {
  if (platforms.length === 1) return platforms[0];
  const listed = platforms.map((p) => `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`).join(", ");
  throw new DockerdlError("PLATFORM_NOT_AVAILABLE", `${name} is a multi-platform image (${listed || "no runnable platform"}); choose one`, {
    hint: "pick a platform with --platform, e.g. --platform linux/amd64",
  });
}

function readError(error: unknown, host: string, what: string): DockerdlError {
  if (error instanceof RangeError) {
    return new DockerdlError("BAD_MANIFEST", `${what} from ${host} is too large: ${error.message}`, { hint: "this does not look like a container image" });
  }
  const mapped = networkError(error, host, what);
  return mapped.code === "NETWORK"
    ? new RegistryError("TRUNCATED", `the connection to ${host} broke while reading ${what}`, { hint: "try again", cause: error })
    : mapped;
}

/**
 * Exactly `length` bytes of `source` after skipping `skip`; ends early only if the
 * source does. Cancelling the result cancels the source (and its connection).
 */
export function sliceStream(source: ReadableStream<Uint8Array>, skip: number, length: number): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let toSkip = skip;
  let left = length;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (left <= 0) {
          await reader.cancel().catch(() => {});
          controller.close();
          return;
        }
        const { done, value } = await reader.read();
        if (done || value === undefined) {
          controller.close();
          return;
        }
        let chunk = value;
        if (toSkip > 0) {
          const dropped = Math.min(toSkip, chunk.length);
          toSkip -= dropped;
          chunk = chunk.subarray(dropped);
        }
        if (chunk.length === 0) continue;
        if (chunk.length > left) chunk = chunk.subarray(0, left);
        left -= chunk.length;
        controller.enqueue(chunk);
        return;
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
