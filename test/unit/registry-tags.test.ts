// Tag listing through the shared registry client: the distribution spec's pagination
// (n, last, Link rel="next"), the cap on how many names are read, and refusals of
// answers that are not a tag list.
import { describe, expect, it } from "vitest";
import { parseReference } from "../../shared/reference.ts";
import { RegistryClient } from "../../shared/registry/client.ts";
import { nextCursor } from "../../shared/registry/tags.ts";
import { scriptedFetch } from "../harness/scripted-fetch.ts";

const ALL = Array.from({ length: 25 }, (_, i) => `v${String(i).padStart(2, "0")}`);
const ref = parseReference("reg.example/team/app");

/** A registry that pages tags/list as distribution does: n per page, Link while more follow. */
function pagingRegistry(tags: string[], options: { link?: "absolute" | "relative" | "none" } = {}) {
  return scriptedFetch((url) => {
    const n = Number(url.searchParams.get("n") ?? tags.length);
    const last = url.searchParams.get("last");
    const from = last === null ? 0 : tags.indexOf(last) + 1;
    const page = tags.slice(from, from + n);
    const headers = new Headers({ "content-type": "application/json" });
    if (from + n < tags.length && options.link !== "none") {
      const next = `/v2/team/app/tags/list?n=${n}&last=${page.at(-1)}`;
      headers.set("link", `<${options.link === "absolute" ? `https://elsewhere.example${next}` : next}>; rel="next"`);
    }
    return new Response(JSON.stringify({ name: "team/app", tags: page }), { headers });
  });
}

const client = (fetch: ReturnType<typeof scriptedFetch>) => new RegistryClient({ fetch, endpoints: { "reg.example": "https://reg.example" } });

describe("listTags", () => {
  it("follows Link pages until the last one, asking our own endpoint each time", async () => {
    const fetch = pagingRegistry(ALL, { link: "absolute" });
    const list = await client(fetch).listTags(ref, { pageSize: 10 });
    expect(list).toEqual({ tags: ALL, truncated: false });
    expect(fetch.calls.map((c) => c.url)).toEqual([
      "https://reg.example/v2/team/app/tags/list?n=10",
      "https://reg.example/v2/team/app/tags/list?n=10&last=v09",
      "https://reg.example/v2/team/app/tags/list?n=10&last=v19",
    ]);
  });

  it("stops at max and says the list was cut", async () => {
    const fetch = pagingRegistry(ALL);
    expect(await client(fetch).listTags(ref, { pageSize: 10, max: 15 })).toEqual({ tags: ALL.slice(0, 15), truncated: true });
    expect(await client(pagingRegistry(ALL)).listTags(ref, { pageSize: 10, max: 20 })).toEqual({ tags: ALL.slice(0, 20), truncated: true });
  });

  it("takes a registry that ignores n and sends everything at once", async () => {
    const fetch = scriptedFetch(() => Response.json({ name: "team/app", tags: ALL }));
    expect(await client(fetch).listTags(ref, { pageSize: 10, max: 100 })).toEqual({ tags: ALL, truncated: false });
    expect(fetch.calls).toHaveLength(1);
  });

  it("reads a repository without tags (tags: null) as an empty list", async () => {
    const fetch = scriptedFetch(() => Response.json({ name: "team/app", tags: null }));
    expect(await client(fetch).listTags(ref)).toEqual({ tags: [], truncated: false });
  });

  it("refuses an answer that is not a tag list", async () => {
    const fetch = scriptedFetch(() => new Response("<html>login</html>", { headers: { "content-type": "text/html" } }));
    await expect(client(fetch).listTags(ref)).rejects.toMatchObject({ code: "UPSTREAM", message: "the tag list of reg.example/team/app is not JSON" });
  });

  it("does not loop on a Link that points at the same page again", async () => {
    const fetch = scriptedFetch(() => new Response(JSON.stringify({ tags: ["a", "b"] }), { headers: { link: '</v2/team/app/tags/list?n=2&last=b>; rel="next"' } }));
    expect(await client(fetch).listTags(ref, { pageSize: 2, max: 10 })).toEqual({ tags: ["a", "b", "a", "b"], truncated: false });
    expect(fetch.calls).toHaveLength(2);
  });
});

describe("nextCursor", () => {
  it.each([
    [null, undefined],
    ['</v2/a/tags/list?n=10&last=v9>; rel="next"', "v9"],
    ['<https://x.example/v2/a/tags/list?last=1.0%2Brc>; rel=next', "1.0+rc"],
    ['</v2/a/tags/list?n=10>; rel="next"', "z"],
    ['</v2/a/tags/list?n=10&last=v9>; rel="prev"', undefined],
  ])("%s → %s", (link, expected) => {
    expect(nextCursor(link, ["y", "z"])).toBe(expected);
  });
});
