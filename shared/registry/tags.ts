// Tag listing, page by page, as the distribution spec's "Listing Tags" describes:
// GET /v2/<name>/tags/list?n=<count>&last=<last tag of the previous page>, where a
// `Link: <…?n=…&last=…>; rel="next"` header says that more follow. We never fetch the
// Link's URL itself (an upstream could point it anywhere); we take its `last` and ask
// our own endpoint again.

import type { HttpResponse } from "../http.ts";
import { RegistryError } from "./errors.ts";

export interface TagList {
  tags: string[];
  /** True when the registry has more tags than were read (`max`). */
  truncated: boolean;
}

export type TagPageFetch = (last: string | undefined, n: number) => Promise<{ response: HttpResponse; bytes: Uint8Array }>;

const DEFAULT_MAX = 1000;
const DEFAULT_PAGE = 100;

export async function listTagPages(fetchPage: TagPageFetch, name: string, options: { max?: number; pageSize?: number } = {}): Promise<TagList> {
  const max = options.max ?? DEFAULT_MAX;
  const pageSize = Math.min(options.pageSize ?? DEFAULT_PAGE, max);
  const tags: string[] = [];
  let last: string | undefined;
  for (;;) {
    const { response, bytes } = await fetchPage(last, pageSize);
    const page = parseTagPage(bytes, name);
    tags.push(...page);
    const next = nextCursor(response.headers.get("link"), page);
    if (tags.length > max) return { tags: tags.slice(0, max), truncated: true };
    if (next === undefined || next === last) return { tags, truncated: false };
    if (tags.length === max) return { tags, truncated: true };
    last = next;
  }
}

function parseTagPage(bytes: Uint8Array, name: string): string[] {
  let body: { tags?: unknown };
  try {
    body = JSON.parse(new TextDecoder().decode(bytes)) as typeof body;
  } catch {
    throw new RegistryError("UPSTREAM", `the tag list of ${name} is not JSON`, { hint: "check the registry or proxy address" });
  }
  // A repository without tags may answer "tags": null.
  if (body === null || typeof body !== "object" || (body.tags !== null && body.tags !== undefined && !Array.isArray(body.tags))) {
    throw new RegistryError("UPSTREAM", `the tag list of ${name} has no "tags" array`, { hint: "check the registry or proxy address" });
  }
  return Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === "string") : [];
}

/** The `last` for the next page when a `rel="next"` Link says there is one. */
export function nextCursor(link: string | null, page: string[]): string | undefined {
  if (link === null) return undefined;
  const next = link.split(",").find((part) => /;\s*rel="?next"?/i.test(part));
  if (next === undefined) return undefined;
  const target = /<([^>]*)>/.exec(next)?.[1];
  if (target === undefined) return undefined;
  let last: string | null = null;
  try {
    last = new URL(target, "http://registry.invalid").searchParams.get("last");
  } catch {
    // an unparsable Link: fall back to the page's last tag
  }
  return last ?? page.at(-1);
}
