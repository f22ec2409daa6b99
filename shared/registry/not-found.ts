// A registry's "not found" for an image says neither which part was wrong nor what
// exists: distribution answers MANIFEST_UNKNOWN for a missing tag and for a misspelt
// repository alike. One capped tags/list request tells them apart, and names the tags
// closest to the one asked for. Only on the failure path, and only where a person reads
// the answer (the CLI): the mirror passes registry answers on as they are.

import { isDockerdlError } from "../errors.ts";
import { causeError } from "../hints.ts";
import { familiarRepository, type Reference } from "../reference.ts";
import type { TagList } from "./tags.ts";

/** One page: Docker Hub answers at most 100 tags a request. */
const TAGS_READ = 100;
const NEARBY_MAX = 5;

export interface TagLister {
  listTags(ref: Reference, options: { max?: number; pageSize?: number; signal?: AbortSignal }): Promise<TagList>;
}

/**
 * `error` in the words of its cause when it is a NOT_FOUND for `ref`'s tag: the
 * repository does not exist, or the tag does not (with the nearest tags it has).
 * Anything else, a digest reference, or a tag the list does hold (something else was
 * missing) keeps the error it was.
 */
export async function explainNotFound(error: unknown, ref: Reference, client: TagLister, host: string, signal?: AbortSignal): Promise<unknown> {
  if (!isDockerdlError(error, "NOT_FOUND") || ref.digest !== undefined) return error;
  const repository = familiarRepository(ref);
  const tag = ref.tag ?? "latest";
  let tags: string[];
  try {
    tags = (await client.listTags(ref, { max: TAGS_READ, pageSize: TAGS_READ, ...(signal ? { signal } : {}) })).tags;
  } catch (listError) {
    if (isDockerdlError(listError, "NOT_FOUND")) return causeError("NOT_FOUND.repository", { repository, host }, error);
    return error;
  }
  if (tags.includes(tag)) return error;
  const nearby = nearestTags(tag, tags);
  return nearby.length === 0
    ? causeError("NOT_FOUND.tag", { repository, tag, host }, error)
    : causeError("NOT_FOUND.tag_nearby", { repository, tag, host, nearby: nearby.join(", ") }, error);
}

/** The tags a typo away from `wanted` (edit distance within a third of its length, at least 2), nearest first. */
export function nearestTags(wanted: string, tags: readonly string[]): string[] {
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  return tags
    .map((tag, order) => ({ tag, order, distance: editDistance(wanted.toLowerCase(), tag.toLowerCase()) }))
    .filter((t) => t.distance <= limit)
    .sort((a, b) => a.distance - b.distance || a.order - b.order)
    .slice(0, NEARBY_MAX)
    .map((t) => t.tag);
}

/** Levenshtein distance (one row at a time): tags are at most 128 characters. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = row;
  }
  return previous[b.length];
}
