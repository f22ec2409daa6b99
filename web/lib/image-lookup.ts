// The web app's use of the shared registry client: through the same-origin proxy (the
// Worker serving this app; an extra download source is another such proxy), looking an
// image up for the platform picker, resolving it for one platform (optionally pinned to
// the digest the person saw), and the facts shown before downloading. Runs in the
// dedicated worker and the service worker.

import { archiveImageOf, planImageArchive } from "../../shared/image-archive.ts";
import { parseManifest } from "../../shared/manifest.ts";
import { availablePlatforms, type Platform } from "../../shared/platform.ts";
import { defaultFileName, familiarName, type Reference } from "../../shared/reference.ts";
import { RegistryClient, type Credentials, type ResolvedImage } from "../../shared/registry/client.ts";
import type { TarPlan } from "../../shared/tar.ts";
import { readableInto } from "./byob-body.ts";
import type { ImageSummary } from "./protocol.ts";

export type { Credentials } from "../../shared/registry/client.ts";

export interface ImageOverview {
  digest: string;
  kind: "index" | "image";
  platforms: Platform[];
}

/** A client through this app's own Worker, or through `proxy` (an extra source's URL). */
export function proxyClient(credentials?: Credentials, proxy = self.location.origin): RegistryClient {
  return new RegistryClient({
    // Never a cached answer: tags move, and tokens ride on these requests. No browser
    // credentials either: a Basic-auth upstream's 401 (the Worker passes its Basic
    // challenge on) would otherwise open the browser's own password prompt, which a
    // worker's request waits on for ever (headless Chromium never answers it); the client
    // answers that challenge itself with the remembered password, as an Authorization
    // header, which "omit" still sends.
    fetch: async (url, init) => readableInto(await fetch(url, { ...init, cache: "no-store", credentials: "omit" })),
    proxy,
    ...(credentials && credentials.username !== "" ? { credentials } : {}),
    // The proxy follows upstream redirects itself; the browser hides manual ones anyway.
    redirects: "follow",
  });
}

/** The platforms a reference offers, without fetching more than the index when it is one. */
export async function lookUp(client: RegistryClient, ref: Reference, signal?: AbortSignal): Promise<ImageOverview> {
  const top = await client.getManifest(ref, ref.digest ?? ref.tag ?? "latest", signal);
  const parsed = parseManifest(top.bytes, top.mediaType);
  if (parsed.kind === "index") return { digest: top.digest, kind: "index", platforms: availablePlatforms(parsed.index) };
  const image = await client.resolveImage(ref, undefined, signal ? { signal } : {});
  return { digest: top.digest, kind: "image", platforms: [image.platform] };
}

/**
 * Resolves `ref` for `platform`. With `pinned` (the digest the reference resolved to
 * when the person looked), the same image is fetched even if the tag has moved since,
 * while the file still names the tag (RepoTags), as a download without pinning would.
 */
export async function resolvePinned(client: RegistryClient, ref: Reference, platform: Platform | undefined, pinned?: string, signal?: AbortSignal): Promise<ResolvedImage> {
  const image = await client.resolveImage(pinned && !ref.digest ? { ...ref, digest: pinned } : ref, platform, signal ? { signal } : {});
  return { ...image, reference: ref };
}

export function planOf(image: ResolvedImage): TarPlan {
  return planImageArchive([archiveImageOf(image)]);
}

export function topDigest(image: ResolvedImage): string {
  return image.index?.digest ?? image.manifest.digest;
}

export function summarize(image: ResolvedImage, plan: TarPlan): ImageSummary {
  return {
    reference: familiarName(image.reference),
    platform: image.platform,
    platforms: image.platforms,
    topDigest: topDigest(image),
    digest: image.manifest.digest,
    totalSize: plan.totalSize,
    layers: image.layers.map((l) => ({ digest: l.digest, size: l.size })),
    fileName: defaultFileName(image.reference, image.platform),
  };
}
