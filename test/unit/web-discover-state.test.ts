// The search and image pages' state rules, as their hooks apply them (web/page/discover/
// use-search.ts, use-image-details.ts): pages appended without repeats, a stale page
// dropped, the named tag first, the tag filter; and the page's one debounce
// (web/page/debounce.ts), whose clean-up makes the work stale and aborts its fetch.
// The unit project has no DOM, so the hooks themselves run in test/e2e/discover.test.ts.
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ImageDetails, SearchAnswer, SearchResult, TagInfo } from "../../shared/seed-api.ts";
import { debounced } from "../../web/page/debounce.ts";
import { appendTags, filterTags, firstTags, namedTag } from "../../web/page/discover/use-image-details.ts";
import { appendPage, type Results } from "../../web/page/discover/use-search.ts";

function result(repository: string): SearchResult {
  const [namespace, name] = repository.split("/");
  return { name: namespace === "library" ? name : repository, repository, namespace, description: "", stars: 0, pulls: 0, official: false, verified: null, automated: false };
}

function answer(repositories: string[], hasMore: boolean, total: number): SearchAnswer {
  return { query: "web", page: 2, limit: 25, total, hasMore, results: repositories.map(result), fetchedAt: "" };
}

function tag(name: string, platforms: TagInfo["platforms"] = []): TagInfo {
  return { name, digest: null, lastUpdated: null, platforms };
}

describe("search results, page by page", () => {
  const first: Results = { query: "web", results: [result("a/web"), result("b/web")], total: 4, page: 1, hasMore: true };

  it("appends the next page without repeating a repository the Hub listed again", () => {
    expect(appendPage(first, "web", 2, answer(["b/web", "c/web"], false, 3))).toEqual({
      query: "web", results: [result("a/web"), result("b/web"), result("c/web")], total: 3, page: 2, hasMore: false,
    });
  });

  it("drops a page of a query that is no longer shown", () => {
    const now = { ...first, query: "nginx" };
    expect(appendPage(now, "web", 2, answer(["c/web"], false, 3))).toBe(now);
    expect(appendPage(undefined, "web", 2, answer(["c/web"], false, 3))).toBeUndefined();
  });
});

describe("an image page's tags", () => {
  const details = (named: TagInfo | null, tags: TagInfo[]) => ({ tag: named, tags }) as ImageDetails;

  it("puts the tag the reference names first, even from beyond the first page, and lists it once", () => {
    expect(firstTags(details(tag("22.04"), [tag("latest"), tag("22.04"), tag("24.04")])).map((t) => t.name)).toEqual(["22.04", "latest", "24.04"]);
    expect(firstTags(details(tag("18.04"), [tag("latest")])).map((t) => t.name)).toEqual(["18.04", "latest"]);
  });

  it("keeps the page's order when the named tag is unknown or not looked up", () => {
    expect(firstTags(details(null, [tag("latest"), tag("1")])).map((t) => t.name)).toEqual(["latest", "1"]);
    expect(firstTags(details(tag("1", null), [tag("latest"), tag("1")])).map((t) => t.name)).toEqual(["latest", "1"]);
  });

  it("appends another page without a tag twice", () => {
    expect(appendTags([tag("22.04"), tag("latest")], [tag("20.04"), tag("22.04")]).map((t) => t.name)).toEqual(["22.04", "latest", "20.04"]);
  });

  it("filters by a part of the name, in any case, ignoring spaces around it", () => {
    const tags = [tag("jammy"), tag("22.04"), tag("Jammy-20240101")];
    expect(filterTags(tags, " JAM ").map((t) => t.name)).toEqual(["jammy", "Jammy-20240101"]);
    expect(filterTags(tags, "  ")).toBe(tags);
  });

  it.each([
    ["nginx:1.27", "1.27"],
    ["ghcr.io/owner/app:v1", "v1"],
    ["nginx", undefined],
    ["localhost:5000/app", undefined],
    [`nginx:1@sha256:${"a".repeat(64)}`, undefined],
    ["nginx:-bad", undefined],
  ])("%s names the tag %s", (image, named) => {
    expect(namedTag(image)).toBe(named);
  });
});

describe("debounced work", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("starts once the pause has passed, and not at all when typing goes on first", () => {
    vi.useFakeTimers();
    const work = vi.fn();
    const stop = debounced(250, work);
    vi.advanceTimersByTime(249);
    expect(work).not.toHaveBeenCalled();
    stop();
    vi.advanceTimersByTime(1000);
    expect(work).not.toHaveBeenCalled();
  });

  it("tells its answer it is stale, and aborts its fetch, once the input changes again", () => {
    vi.useFakeTimers();
    let live: (() => boolean) | undefined;
    let signal: AbortSignal | undefined;
    const stop = debounced(0, (isLive, aborts) => {
      live = isLive;
      signal = aborts;
    });
    vi.advanceTimersByTime(0);
    expect(live?.()).toBe(true);
    expect(signal?.aborted).toBe(false);
    stop();
    expect(live?.()).toBe(false);
    expect(signal?.aborted).toBe(true);
  });
});
