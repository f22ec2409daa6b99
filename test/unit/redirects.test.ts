// The one redirect follower (shared/registry/redirects.ts) the registry client and the
// mirror's upstream requests share: credentials never reach another origin (and stay
// dropped once dropped), every hop passes the caller's guard before it is asked, and a
// redirect without a Location or past the hop cap is an error, never an answer.
import { describe, expect, it } from "vitest";
import { followRedirects, MAX_REDIRECTS, RedirectError, type RedirectInit } from "../../shared/registry/redirects.ts";

type Init = RedirectInit & { method?: string };

function scripted(answers: Record<string, () => Response>) {
  const calls: { url: string; init: Init }[] = [];
  const fetch = async (url: string, init: Init) => {
    calls.push({ url, init });
    const answer = answers[url];
    if (!answer) throw new Error(`unexpected fetch ${url}`);
    return answer();
  };
  return { calls, fetch };
}

const redirect = (location: string | null, status = 307) => () => new Response(null, { status, headers: location === null ? {} : { location } });

describe("followRedirects", () => {
  it("drops Authorization, Proxy-Authorization and Cookie, in any case, at the first other origin, and never sends them again", async () => {
    const { calls, fetch } = scripted({
      "https://registry.example/v2/a/blobs/x": redirect("/cdn/x", 302),
      "https://registry.example/cdn/x": redirect("https://cdn.example/x?sig=1"),
      "https://cdn.example/x?sig=1": redirect("https://registry.example/back"),
      "https://registry.example/back": () => new Response("bytes"),
    });
    const init: Init = { method: "GET", headers: { Authorization: "Bearer t", "proxy-authorization": "Basic p", cookie: "c=1", accept: "*/*" } };
    const response = await followRedirects(fetch, "https://registry.example/v2/a/blobs/x", init);
    expect(await response.text()).toBe("bytes");
    expect(calls.map((c) => [c.url, Object.keys(c.init.headers ?? {}).sort().join(",")])).toEqual([
      ["https://registry.example/v2/a/blobs/x", "Authorization,accept,cookie,proxy-authorization"],
      ["https://registry.example/cdn/x", "Authorization,accept,cookie,proxy-authorization"],
      ["https://cdn.example/x?sig=1", "accept"],
      ["https://registry.example/back", "accept"],
    ]);
    expect(calls.every((c) => c.init.redirect === "manual" && c.init.method === "GET")).toBe(true);
  });

  it("asks the guard about every hop, the first included, before connecting to it", async () => {
    const { calls, fetch } = scripted({ "https://registry.example/a": redirect("http://10.0.0.1/internal") });
    const seen: string[] = [];
    const guard = (url: URL) => {
      seen.push(url.href);
      if (url.hostname === "10.0.0.1") throw new Error("private");
    };
    await expect(followRedirects(fetch, "https://registry.example/a", {}, { guard })).rejects.toThrow("private");
    expect(seen).toEqual(["https://registry.example/a", "http://10.0.0.1/internal"]);
    expect(calls.map((c) => c.url)).toEqual(["https://registry.example/a"]);
  });

  it("fails on a redirect without a Location, and past the hop cap", async () => {
    const bare = scripted({ "https://r.example/a": redirect(null, 301) });
    await expect(followRedirects(bare.fetch, "https://r.example/a", {})).rejects.toMatchObject({ reason: "no-location", status: 301 });
    const loop = scripted({ "https://r.example/a": redirect("/a") });
    const attempt = followRedirects(loop.fetch, "https://r.example/a", {});
    await expect(attempt).rejects.toBeInstanceOf(RedirectError);
    await expect(attempt).rejects.toMatchObject({ reason: "too-many" });
    expect(loop.calls).toHaveLength(MAX_REDIRECTS + 1);
  });

  it("passes any other answer back as it came", async () => {
    const { fetch } = scripted({ "https://r.example/a": () => new Response("no", { status: 404 }) });
    expect((await followRedirects(fetch, "https://r.example/a", {})).status).toBe(404);
  });
});
