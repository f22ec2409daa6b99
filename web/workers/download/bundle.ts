// Bundles in the download worker: several images in one file, as `dockerdl pull A B`
// writes it. Looking one up resolves every image the page lists (each with the platform
// written for it, else the bundle's default) and answers per image, so one bad line does
// not hide the others; downloading resolves the same images again, pinned to what the
// person saw. Each registry gets only the credentials remembered for it on this device:
// a bundle may span registries, and a password must never reach another one. The extra
// sources in settings serve only the layers of the images fetched without credentials.

import { distinctEntries, sameTagConflicts, sameTagError, type BundleEntry } from "../../../shared/bundle-names.ts";
import { DockerdlError } from "../../../shared/errors.ts";
import { archiveImageOf, planImageArchive } from "../../../shared/image-archive.ts";
import { parsePlatform, type Platform } from "../../../shared/platform.ts";
import { familiarName, parseReference, type Reference } from "../../../shared/reference.ts";
import type { RegistryClient, ResolvedImage } from "../../../shared/registry/client.ts";
import type { TarPlan } from "../../../shared/tar.ts";
import { rememberedCredentials } from "../../lib/db.ts";
import { errorInfoOf, type ErrorInfo } from "../../lib/errors.ts";
import { planOf, proxyClient, resolvePinned, summarize, topDigest } from "../../lib/image-lookup.ts";
import { withLookupDeadline } from "../../lib/lookup-deadline.ts";
import type { BundleAnswer, BundleImage, BundleRequest, BundleSummary, ImageSummary } from "../../lib/protocol.ts";

interface RegistryAccess {
  client: RegistryClient;
  /** Credentials are remembered for the registry: its images stay with the own Worker. */
  signedIn: boolean;
}

/** One client per registry, with the credentials remembered for that registry. */
function clientsByRegistry(): (ref: Reference) => Promise<RegistryAccess> {
  const clients = new Map<string, Promise<RegistryAccess>>();
  return (ref) => {
    let access = clients.get(ref.registry);
    if (!access) {
      access = rememberedCredentials(ref.registry).catch(() => undefined)
        .then((credentials) => ({ client: proxyClient(credentials), signedIn: Boolean(credentials?.username) }));
      clients.set(ref.registry, access);
    }
    return access;
  };
}

/** More than this is a pasted file gone wrong, not a bundle; each image is several requests. */
export const BUNDLE_LIMIT = 100;

/** Resolves every request (its own platform, else `defaultPlatform` for a multi-platform image). */
export async function lookUpBundle(requests: readonly BundleRequest[], defaultPlatform: string, signal?: AbortSignal): Promise<BundleAnswer> {
  checkCount(requests.length);
  const clientOf = clientsByRegistry();
  const fallback = parsePlatform(defaultPlatform);
  const results = await Promise.all(requests.map(async (request): Promise<{ image: ResolvedImage } | { error: ErrorInfo }> => {
    try {
      const ref = parseReference(request.reference);
      const platform = request.platform === undefined ? undefined : parsePlatform(request.platform);
      const { client } = await clientOf(ref);
      // Each row ends, answered or with an error: none keeps the table pending for ever.
      return { image: await withLookupDeadline(request.reference, (deadline) => client.resolveImage(ref, platform, { defaultPlatform: fallback, signal: deadline }), signal) };
    } catch (error) {
      return { error: errorInfoOf(error) };
    }
  }));
  // An image under the name of an earlier, different one is that row's problem (bundle-names.ts).
  const okIndexes = results.flatMap((r, i) => ("image" in r ? [i] : []));
  const entries = okIndexes.map((i) => entryOf(requests[i].reference, (results[i] as { image: ResolvedImage }).image));
  for (const { first, second, tag } of sameTagConflicts(entries)) {
    results[okIndexes[second]] = { error: errorInfoOf(sameTagError(entries[first], entries[second], tag)) };
  }
  // Planned in request order, as the download will be; a failed image is left out, a repeated one counted once.
  const resolved = results.flatMap((r) => ("image" in r ? [r.image] : []));
  const summaries = new Map(resolved.map((image) => [image, summarize(image, planOf(image))]));
  const stored = distinctEntries(resolved.map((image) => entryOf(familiarName(image.reference), image))).map((i) => resolved[i]);
  return {
    images: results.map((r) => ("image" in r ? { ok: true, summary: summaries.get(r.image) as ImageSummary } : { ok: false, error: r.error })),
    totalSize: stored.length > 0 ? planImageArchive(stored.map(archiveImageOf)).totalSize : 0,
    separateSize: [...summaries.values()].reduce((n, s) => n + s.totalSize, 0),
  };
}

export interface ResolvedBundle {
  images: ResolvedImage[];
  plan: TarPlan;
  summary: BundleSummary;
  clientOf(image: ResolvedImage): RegistryClient;
  /** The images fetched without credentials (extra sources may serve their layers). */
  anonymous: ResolvedImage[];
}

/** The images of a bundle download, each pinned to the digest the person saw. */
export async function resolveBundle(bundle: readonly BundleImage[], signal: AbortSignal): Promise<ResolvedBundle> {
  checkCount(bundle.length);
  const clientFor = clientsByRegistry();
  const clients = new Map<ResolvedImage, RegistryAccess>();
  const all: ResolvedImage[] = [];
  for (const item of bundle) {
    const ref = parseReference(item.reference);
    const access = await clientFor(ref);
    const image = await resolvePinned(access.client, ref, item.platform, item.pinnedDigest, signal);
    clients.set(image, access);
    all.push(image);
  }
  // Refused here too, before any layer: the lookup marks it, but nothing makes a job wait for a lookup.
  const images = distinctEntries(all.map((image, i) => entryOf(bundle[i].reference, image))).map((i) => all[i]);
  const plan = planImageArchive(images.map(archiveImageOf));
  const summaries = images.map((image) => summarize(image, planOf(image)));
  return {
    images, plan, clientOf: (image) => (clients.get(image) as RegistryAccess).client,
    anonymous: images.filter((image) => !clients.get(image)?.signedIn),
    summary: { images: summaries, totalSize: plan.totalSize, separateSize: summaries.reduce((n, s) => n + s.totalSize, 0) },
  };
}

/** An image as bundle-names.ts names it in a message: by the reference as written. */
function entryOf(written: string, image: ResolvedImage): BundleEntry {
  return { origin: written, reference: image.reference, platform: image.platform, digest: image.manifest.digest };
}

function checkCount(count: number): void {
  if (count <= BUNDLE_LIMIT) return;
  const params = { count: String(count), limit: String(BUNDLE_LIMIT) };
  throw new DockerdlError("BAD_IMAGE_LIST", `a bundle holds at most ${BUNDLE_LIMIT} images; this one lists ${count}`, { hint: "split it into several bundles", key: "BAD_IMAGE_LIST.too_many", params });
}

/** What a history entry or an unfinished job keeps of a bundle's image. */
export function bundleImageOf(image: ResolvedImage): BundleImage & { digest: string } {
  return { reference: familiarName(image.reference), platform: image.platform as Platform, pinnedDigest: topDigest(image), digest: image.manifest.digest };
}
