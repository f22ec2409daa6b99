// The names a bundle's images are written under (manifest.json's RepoTags). `docker load`
// and `podman load` give a name and tag to one image only: a second image under the same
// RepoTag takes the name and leaves the first untagged, so a bundle must never hold two.
// Two different images under one name (two platforms of multi:1.0, from two files or two
// Compose services) are refused before anything is fetched, naming both entries: a name
// invented for one of them (multi:1.0-arm64) is a tag no registry has, which a compose
// file or `docker run multi:1.0` would never find, so the choice is the person's. The same
// image listed twice (alpine:3.20 and docker.io/library/alpine:3.20) is one image: kept
// once, as the CLI and the app already keep a repeated line once.

import { DockerdlError } from "./errors.ts";
import { formatPlatform, type Platform } from "./platform.ts";
import { repoTag, type Reference } from "./reference.ts";

export interface BundleEntry {
  /** What names the entry in a message: "compose.yaml, service web", "images[1]", "line 2". */
  origin: string;
  reference: Reference;
  platform: Platform;
  /** The image's manifest digest: the same name and digest is the same image. */
  digest: string;
}

/** Two entries that would be written under one RepoTag as different images; `first` comes before `second`. */
export interface SameTag {
  first: number;
  second: number;
  tag: string;
}

/** Every entry that repeats an earlier one's RepoTag with another image, paired with that earlier entry. */
export function sameTagConflicts(entries: readonly BundleEntry[]): SameTag[] {
  const firstByTag = new Map<string, number>();
  const out: SameTag[] = [];
  entries.forEach((entry, index) => {
    const tag = repoTag(entry.reference);
    if (tag === undefined) return;
    const first = firstByTag.get(tag);
    if (first === undefined) firstByTag.set(tag, index);
    else if (entries[first].digest !== entry.digest) out.push({ first, second: index, tag });
  });
  return out;
}

/**
 * The indexes of the entries to write, in order: a repeat of an earlier entry (same
 * RepoTag, same image) left out. Throws the first conflict as sameTagError.
 */
export function distinctEntries(entries: readonly BundleEntry[]): number[] {
  const conflict = sameTagConflicts(entries)[0];
  if (conflict) throw sameTagError(entries[conflict.first], entries[conflict.second], conflict.tag);
  const seen = new Set<string>();
  const keep: number[] = [];
  entries.forEach((entry, index) => {
    const key = `${repoTag(entry.reference) ?? ""}\0${entry.digest}`;
    if (seen.has(key)) return;
    seen.add(key);
    keep.push(index);
  });
  return keep;
}

/** The refusal of two different images under one name, both named, with what to do. */
export function sameTagError(first: BundleEntry, second: BundleEntry, tag: string): DockerdlError {
  const params = {
    tag, first: first.origin, firstPlatform: formatPlatform(first.platform), second: second.origin, secondPlatform: formatPlatform(second.platform),
  };
  return new DockerdlError(
    "BAD_IMAGE_LIST",
    `${params.first} (${params.firstPlatform}) and ${params.second} (${params.secondPlatform}) are two images with one name, ${tag}: ` +
      "docker load and podman load keep the name for one of them only",
    { hint: "keep one platform of it in this bundle, or make one bundle per platform", key: "BAD_IMAGE_LIST.same_tag", params },
  );
}
