// The output file: one tar that `docker load` accepts and that is also an OCI image
// layout, laid out as Docker 25+ writes it. Layers are stored as fetched (compressed),
// so the file is the registry size and every offset is known from the manifests alone.

import { OCI_INDEX } from "./media-types.ts";
import { formatReference, repoTag } from "./reference.ts";
import type { ResolvedImage } from "./registry/resolve.ts";
import { planTar, type TarInput, type TarPlan } from "./tar.ts";

export { writePlanToBuffer } from "./tar.ts";

export interface ArchiveImage {
  /** Full name:tag pairs for manifest.json and repositories, e.g. ["docker.io/library/ubuntu:22.04"] (reference.ts repoTag). */
  repoTags: string[];
  /** Full name for index.json's io.containerd.image.name, e.g. docker.io/library/ubuntu:22.04. */
  imageName?: string;
  /** The tag for index.json's org.opencontainers.image.ref.name, e.g. 22.04. */
  refName?: string;
  /** The manifest exactly as fetched, so its digest still holds. */
  manifest: { bytes: Uint8Array; digest: string; mediaType: string };
  config: { bytes: Uint8Array; digest: string };
  /** In manifest order; each becomes a blob of the plan keyed by its digest. mediaType is
   *  not written anywhere (the stored manifest carries it); it is here for the sinks. */
  layers: { digest: string; size: number; mediaType: string }[];
}

/** Every entry's mtime: a constant, so the same image always gives the same bytes. */
export const ARCHIVE_MTIME = 0;

/** What planImageArchive takes for an image the registry client resolved. */
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

/**
 * Plans the archive for one image or several (an offline bundle). Blob keys are layer
 * digests. Input order decides the order of index.json's and manifest.json's lists;
 * blobs are sorted by digest and stored once however many images share them, and
 * repositories' keys are sorted, so nothing else depends on input order.
 */
export function planImageArchive(images: readonly ArchiveImage[]): TarPlan {
  return planTar(imageArchiveEntries(images));
}

/** The entries planImageArchive lays out, in file order. */
export function imageArchiveEntries(images: readonly ArchiveImage[]): TarInput[] {
  if (images.length === 0) throw new RangeError("an image archive needs at least one image");
  checkRepoTags(images);
  const blobs = new Map<string, TarInput>();
  const addInline = (digest: string, bytes: Uint8Array): void => {
    const hex = sha256Hex(digest);
    const seen = blobs.get(hex);
    if (seen && !("bytes" in seen && seen.bytes && sameBytes(seen.bytes, bytes))) {
      throw new RangeError(`${digest} is given with two different contents`);
    }
    blobs.set(hex, { name: blobPath(digest), bytes, mtime: ARCHIVE_MTIME });
  };
  for (const image of images) {
    addInline(image.config.digest, image.config.bytes);
    addInline(image.manifest.digest, image.manifest.bytes);
  }
  for (const image of images) {
    for (const layer of image.layers) {
      const hex = sha256Hex(layer.digest);
      const seen = blobs.get(hex);
      if (seen && !("key" in seen && seen.size === layer.size)) {
        throw new RangeError(`layer ${layer.digest} is given with two different sizes or contents`);
      }
      blobs.set(hex, { name: blobPath(layer.digest), key: layer.digest, size: layer.size, mtime: ARCHIVE_MTIME });
    }
  }

  const entries: TarInput[] = [
    { name: "blobs/", type: "directory", mtime: ARCHIVE_MTIME },
    { name: "blobs/sha256/", type: "directory", mtime: ARCHIVE_MTIME },
    ...[...blobs.keys()].sort().map((hex) => blobs.get(hex) as TarInput),
    jsonEntry("index.json", indexJson(images)),
    jsonEntry("manifest.json", manifestJson(images)),
    jsonEntry("oci-layout", { imageLayoutVersion: "1.0.0" }),
  ];
  const repositories = repositoriesJson(images);
  // Docker leaves the file out when no image is tagged.
  if (Object.keys(repositories).length > 0) entries.push(jsonEntry("repositories", repositories));
  return entries;
}

function indexJson(images: readonly ArchiveImage[]): unknown {
  return {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: images.map((image) => {
      const annotations: Record<string, string> = {};
      if (image.imageName !== undefined) annotations["io.containerd.image.name"] = image.imageName;
      if (image.refName !== undefined) annotations["org.opencontainers.image.ref.name"] = image.refName;
      return {
        mediaType: image.manifest.mediaType,
        digest: image.manifest.digest,
        size: image.manifest.bytes.length,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      };
    }),
  };
}

function manifestJson(images: readonly ArchiveImage[]): unknown {
  return images.map((image) => ({
    Config: blobPath(image.config.digest),
    RepoTags: image.repoTags,
    Layers: image.layers.map((layer) => blobPath(layer.digest)),
  }));
}

/** The legacy file: repository → tag → top layer, keys sorted as Go's encoder sorts maps. */
function repositoriesJson(images: readonly ArchiveImage[]): Record<string, Record<string, string>> {
  const repos = new Map<string, Map<string, string>>();
  for (const image of images) {
    const top = image.layers.at(-1);
    if (!top) continue;
    for (const repoTag of image.repoTags) {
      const { repository, tag } = splitRepoTag(repoTag);
      const tags = repos.get(repository) ?? new Map<string, string>();
      tags.set(tag, sha256Hex(top.digest));
      repos.set(repository, tags);
    }
  }
  const out: Record<string, Record<string, string>> = {};
  for (const repository of [...repos.keys()].sort()) {
    const tags = repos.get(repository) as Map<string, string>;
    out[repository] = Object.fromEntries([...tags.keys()].sort().map((tag) => [tag, tags.get(tag) as string]));
  }
  return out;
}

/**
 * Every RepoTag well formed and given once: loading two images under one tag leaves the
 * first untagged, so a caller that lets it through (bundle-names.ts refuses it with
 * the entries named) has a bug, not a file to write.
 */
function checkRepoTags(images: readonly ArchiveImage[]): void {
  const seen = new Set<string>();
  for (const tag of images.flatMap((image) => image.repoTags)) {
    splitRepoTag(tag);
    if (seen.has(tag)) throw new RangeError(`two images are given the name ${tag}; each RepoTag names one image`);
    seen.add(tag);
  }
}

function splitRepoTag(repoTag: string): { repository: string; tag: string } {
  const colon = repoTag.lastIndexOf(":");
  if (repoTag.includes("@") || colon <= repoTag.lastIndexOf("/") || colon === repoTag.length - 1) {
    throw new RangeError(`repo tag ${JSON.stringify(repoTag)} must be name:tag, e.g. ubuntu:22.04`);
  }
  return { repository: repoTag.slice(0, colon), tag: repoTag.slice(colon + 1) };
}

function sha256Hex(digest: string): string {
  const match = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!match) throw new RangeError(`digest ${JSON.stringify(digest)} is not sha256:<64 hex>; docker load takes only sha256`);
  return match[1];
}

function blobPath(digest: string): string {
  return `blobs/sha256/${sha256Hex(digest)}`;
}

function jsonEntry(name: string, value: unknown): TarInput {
  return { name, bytes: new TextEncoder().encode(JSON.stringify(value)), mtime: ARCHIVE_MTIME };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
