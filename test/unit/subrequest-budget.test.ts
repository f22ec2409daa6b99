// /api/download's subrequest budget (proxy/api/subrequest-budget.ts), table by table:
// each plan's limits, what resolving an image and each layer costs (from the cache,
// from upstream, not yet known, checked with a HEAD), which limit a count is over, the
// HEADs the plan leaves room for, and the largest image each plan serves, which is what
// docs/api.md, docs/cloudflare-limits.md and the refusal state. The meter counts what a client really sends.
import { describe, expect, it } from "vitest";
import type { HttpFetch, HttpResponse } from "../../shared/http.ts";
import {
  affordableChecks, coldLayersLeft, downloadSubrequests, largestImage, layerSubrequests, overLimit, planLimits, planName, resolveSubrequests, resumeReserve, tokenRenewals,
  SubrequestLimitError, SubrequestMeter, type LayerShape, type SubrequestCount,
} from "../../proxy/api/subrequest-budget.ts";

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const WINDOW = 32 * MiB;
const FREE = planLimits("free");
const PAID = planLimits("paid");

describe("plan limits", () => {
  it.each([
    ["free", undefined, { plan: "free", external: 50, services: 1000, total: 1050 }, "the Workers Free plan"],
    ["paid", undefined, { plan: "paid", external: 10_000, services: 10_000, total: 10_000 }, "the Workers Paid plan"],
    ["paid", 25_000, { plan: "paid", external: 25_000, services: 25_000, total: 25_000 }, "this Workers Paid account (SUBREQUEST_LIMIT 25000)"],
  ] as const)("%s (limit %s)", (plan, limit, limits, name) => {
    expect(planLimits(plan, limit)).toEqual(limits);
    expect(planName(planLimits(plan, limit))).toBe(name);
  });
});

describe("what resolving an image costs", () => {
  it.each([
    ["a single-platform image, blobs served directly", { manifests: 1, hops: 0 }, 4],
    ["a single-platform image on a Hub-like registry", { manifests: 1, hops: 1 }, 5],
    ["an index on a Hub-like registry", { manifests: 2, hops: 1 }, 6],
    ["an index whose blobs redirect twice", { manifests: 2, hops: 2 }, 7],
  ])("%s: %o", (_, image, external) => {
    expect(resolveSubrequests(image)).toEqual({ external, services: 0, total: external });
  });
});

describe("what one layer costs", () => {
  it.each<[string, LayerShape, SubrequestCount]>([
    ["not asked about, small, 1 hop: lookup + reads, or GET + hop", { size: 5000, hops: 1 }, { external: 2, services: 2, total: 3 }],
    ["not asked about, 100 MiB: four 32 MiB reads at worst", { size: 100 * MiB, hops: 1 }, { external: 2, services: 5, total: 5 }],
    ["cached, small: probe (lookup, read) + lookup + read", { size: 5000, hops: 1, cached: true }, { external: 0, services: 4, total: 4 }],
    ["cached, 100 MiB: probe (lookup, two reads) + lookup + four reads", { size: 100 * MiB, hops: 1, cached: true }, { external: 0, services: 8, total: 8 }],
    ["cold, 1 hop: probe's lookup, GET, hop", { size: 5 * GiB, hops: 1, cached: false }, { external: 2, services: 1, total: 3 }],
    ["cold, no redirect", { size: 5000, hops: 0, cached: false }, { external: 1, services: 1, total: 2 }],
    ["cold, 2 hops, checked with a HEAD (that redirects too)", { size: 5000, hops: 2, cached: false, checked: true }, { external: 6, services: 1, total: 7 }],
    ["not asked about, checked", { size: 5000, hops: 1, checked: true }, { external: 4, services: 2, total: 5 }],
  ])("%s", (_, layer, count) => {
    expect(layerSubrequests(layer, WINDOW)).toEqual(count);
  });

  it.each([
    ["one small upstream layer: one", 1, 5000, 1],
    ["forty small ones, quickly done: two", 40, 40 * 5000, 2],
    ["three of 10 GiB, each outliving a token: three", 3, 30 * GiB, 3],
    ["40 layers, 6 GB: eleven", 40, 6e9, 11],
  ])("token renewals while layers stream, %s", (_, layers, bytes, renewals) => {
    expect(tokenRenewals(layers, bytes)).toBe(renewals);
  });

  it("a download is what resolving spent, every layer, the token renewals of its upstream layers and one resume of theirs", () => {
    const spent = resolveSubrequests({ manifests: 2, hops: 1 });
    // 6 + 0 + 2 + 1 renewal + 3 for a resume (the ranged GET, its redirect, a token).
    expect(downloadSubrequests(spent, [{ size: 1, hops: 1, cached: true }, { size: 1, hops: 1, cached: false }], WINDOW)).toEqual({ external: 12, services: 5, total: 17 });
    // Nothing from upstream, nothing to resume.
    expect(downloadSubrequests(spent, [{ size: 1, hops: 1, cached: true }], WINDOW)).toEqual({ external: 6, services: 4, total: 10 });
  });

  it.each([
    ["blobs served directly: the GET and a token", 0, 2],
    ["a Hub-like redirect: the GET, a fresh redirect and a token", 1, 3],
  ])("a resume's reserve, %s", (_, hops, reserve) => {
    expect(resumeReserve(hops)).toBe(reserve);
  });
});

describe("which limit a count is over", () => {
  it.each<[SubrequestCount, typeof FREE, string | null]>([
    [{ external: 50, services: 1000, total: 1050 }, FREE, null],
    [{ external: 51, services: 0, total: 51 }, FREE, "external"],
    [{ external: 0, services: 1001, total: 1001 }, FREE, "services"],
    [{ external: 6000, services: 4001, total: 10_001 }, PAID, "total"],
    [{ external: 6000, services: 4000, total: 10_000 }, PAID, null],
  ])("%o on %o: %s", (count, limits, over) => {
    expect(overLimit(count, limits)).toBe(over);
  });
});

describe("HEADs before the first byte", () => {
  const cold = (hops: number): LayerShape => ({ size: 1000, hops, cached: false });
  it.each<[string, SubrequestCount, LayerShape[], number[]]>([
    ["all, when the plan has room", { external: 10, services: 0, total: 10 }, [cold(1), cold(1)], [0, 1]],
    ["none for layers the cache holds", { external: 10, services: 0, total: 10 }, [{ size: 1, hops: 1, cached: true }, cold(1)], [1]],
    ["as many as fit, in order", { external: 45, services: 0, total: 45 }, [cold(1), cold(1), cold(1), cold(0)], [0, 1, 3]],
    ["none when nothing is left", { external: 50, services: 0, total: 50 }, [cold(0)], []],
  ])("%s", (_, count, layers, checks) => {
    expect(affordableChecks(count, layers, FREE)).toEqual(checks);
  });
});

describe("the largest image each plan serves (one image, an index, one /api/download)", () => {
  it.each([
    ["Free, cold, Hub-like (1 hop): layers of any size", 13, FREE, { hops: 1, cached: false, layerSize: 10 * GiB }],
    ["Free, cold, Hub-like (1 hop): small layers", 19, FREE, { hops: 1, cached: false, layerSize: 5000 }],
    ["Free, cold, blobs served directly", 41, FREE, { hops: 0, cached: false, layerSize: 5000 }],
    ["Free, cold, 2 hops", 12, FREE, { hops: 2, cached: false, layerSize: 5000 }],
    ["Free, warm, small layers", 250, FREE, { hops: 1, cached: true, layerSize: 5000 }],
    ["Free, warm, 100 MiB layers (12.2 GiB)", 125, FREE, { hops: 1, cached: true, layerSize: 100 * MiB }],
    ["Free, warm, 1 GiB layers (27 GiB)", 27, FREE, { hops: 1, cached: true, layerSize: GiB }],
    ["Free, warm, 4 GiB layers (28 GiB)", 7, FREE, { hops: 1, cached: true, layerSize: 4 * GiB }],
    ["Paid, cold, layers of any size", 2497, PAID, { hops: 1, cached: false, layerSize: 10 * GiB }],
    ["Paid, warm, small layers", 3329, PAID, { hops: 1, cached: true, layerSize: 5000 }],
    ["Paid, warm, 1 GiB layers (293 GiB)", 293, PAID, { hops: 1, cached: true, layerSize: GiB }],
    ["Paid with SUBREQUEST_LIMIT 1000, cold", 247, planLimits("paid", 1000), { hops: 1, cached: false, layerSize: GiB }],
  ] as const)("%s: %i layers", (_, layers, limits, shape) => {
    expect(largestImage(limits, { manifests: 2, readWindow: WINDOW, ...shape })).toBe(layers);
  });

  it.each([
    [FREE, resolveSubrequests({ manifests: 2, hops: 1 }), 1, 20],
    [FREE, { external: 5, services: 0, total: 5 }, 0, 42],
    [FREE, { external: 49, services: 0, total: 49 }, 1, 0],
    [PAID, resolveSubrequests({ manifests: 2, hops: 1 }), 1, 3330],
  ])("cold layers left on %o after %o with %i hops: %i", (limits, spent, hops, left) => {
    expect(coldLayersLeft(spent, hops, limits)).toBe(left);
  });
});

describe("the meter", () => {
  /** A registry whose blob GETs redirect `hops` times; every other request answers 200. */
  function registry(hops: number): HttpFetch {
    return (url) => {
      const path = new URL(url).pathname;
      const hop = Number(/\/hop(\d+)$/.exec(path)?.[1] ?? 0);
      const redirect = path.includes("/blobs/") && hop < hops;
      const base = path.replace(/\/hop\d+$/, "");
      const response: HttpResponse = {
        status: redirect ? 307 : 200,
        url,
        headers: { get: (name) => (redirect && name === "location" ? `https://cdn.example${base}/hop${hop + 1}` : null) },
        body: null,
      };
      return Promise.resolve(response);
    };
  }

  /** Follows redirects as the registry client does, through `fetch`. */
  async function get(fetch: HttpFetch, url: string): Promise<void> {
    for (let current = url; ;) {
      const response = await fetch(current, { method: "GET" });
      const location = response.headers.get("location");
      if (location === null) return;
      current = new URL(location, current).href;
    }
  }

  it.each([0, 1, 3])("counts every request and learns that blob GETs take %i hops", async (hops) => {
    const meter = new SubrequestMeter(FREE);
    const fetch = meter.wrap(registry(hops));
    await get(fetch, "https://registry.example/v2/library/x/manifests/1");
    expect(meter.takeBlobHops()).toBe(0);
    await get(fetch, "https://registry.example/v2/library/x/blobs/sha256:aa");
    expect(meter.external).toBe(2 + hops);
    expect(meter.takeBlobHops()).toBe(hops);
    expect(meter.takeBlobHops()).toBe(0);
  });

  it("refuses the subrequest past the plan's limit, naming it", async () => {
    const meter = new SubrequestMeter(planLimits("paid", 3));
    const fetch = meter.wrap(registry(1));
    await get(fetch, "https://registry.example/v2/library/x/blobs/sha256:aa");
    await get(fetch, "https://registry.example/v2/library/x/manifests/1");
    await expect(get(fetch, "https://registry.example/v2/library/x/manifests/2")).rejects.toThrow(SubrequestLimitError);
    await expect(get(fetch, "https://registry.example/v2/library/x/manifests/2")).rejects.toThrow(/SUBREQUEST_LIMIT 3\) allows 3 subrequests per request/);
    expect(meter.external).toBe(3);
  });
});
