// An image page's state: the image's details and its first page of tags (the tag the
// reference names first), "Show more tags" appending the next page, and the tag filter.
// All of it starts over when the address names another image.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { parseReference } from "../../../shared/reference.ts";
import { errorInfoOf, type ErrorInfo } from "../../lib/errors.ts";
import { imageDetails, isAbortError, type ImageDetails, type TagInfo } from "./api.ts";

/** The tag the reference names explicitly ("nginx:1.27" → "1.27"; "nginx" → none, not "latest"). */
export function namedTag(image: string): string | undefined {
  const last = image.slice(image.lastIndexOf("/") + 1);
  if (!last.includes(":") || image.includes("@")) return undefined;
  try {
    return parseReference(image).tag;
  } catch {
    return undefined;
  }
}

/** The first page's tags, the one the reference names in front even when it is not on that page. */
export function firstTags(found: ImageDetails): TagInfo[] {
  const named = found.tag;
  return named && named.platforms !== null ? [named, ...found.tags.filter((x) => x.name !== named.name)] : found.tags;
}

/** `now` with another page's tags appended, none listed twice. */
export function appendTags(now: TagInfo[], found: TagInfo[]): TagInfo[] {
  const seen = new Set(now.map((x) => x.name));
  return [...now, ...found.filter((x) => !seen.has(x.name))];
}

/** The tags whose name holds `filter` (any case); all of them for an empty filter. */
export function filterTags(tags: TagInfo[], filter: string): TagInfo[] {
  const f = filter.trim().toLowerCase();
  return f ? tags.filter((x) => x.name.toLowerCase().includes(f)) : tags;
}

export function useImageDetails(image: string) {
  const [details, setDetails] = useState<ImageDetails>();
  const [tags, setTags] = useState<TagInfo[]>([]);
  const [error, setError] = useState<ErrorInfo>();
  const [attempt, setAttempt] = useState(0);
  const [moreLoading, setMoreLoading] = useState(false);
  const [moreError, setMoreError] = useState<ErrorInfo>();
  const [filter, setFilter] = useState("");
  const more = useRef<AbortController>(undefined);

  useEffect(() => {
    setDetails(undefined);
    setTags([]);
    setError(undefined);
    setMoreError(undefined);
    setFilter("");
    if (!image) return;
    const controller = new AbortController();
    imageDetails(image, 1, controller.signal).then(
      (found) => {
        setDetails(found);
        setTags(firstTags(found));
      },
      (e: unknown) => !isAbortError(e) && setError(errorInfoOf(e)),
    );
    return () => {
      controller.abort();
      more.current?.abort();
    };
  }, [image, attempt]);

  const loadMoreTags = () => {
    if (!details || moreLoading) return;
    const controller = new AbortController();
    more.current = controller;
    const page = details.page + 1;
    setMoreLoading(true);
    setMoreError(undefined);
    imageDetails(image, page, controller.signal).then(
      (found) => {
        setDetails((now) => (now ? { ...now, page, hasMoreTags: found.hasMoreTags, tagCount: found.tagCount } : now));
        setTags((now) => appendTags(now, found.tags));
        setMoreLoading(false);
      },
      (e: unknown) => {
        if (isAbortError(e)) return;
        setMoreError(errorInfoOf(e));
        setMoreLoading(false);
      },
    );
  };

  const shownTags = useMemo(() => filterTags(tags, filter), [tags, filter]);

  /** Loads the image again (after an error). */
  const retry = () => setAttempt((n) => n + 1);

  return { details, tags, shownTags, error, retry, moreLoading, moreError, loadMoreTags, filter, setFilter, askedTag: namedTag(image) };
}
