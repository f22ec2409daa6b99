// The address guard on what upstreams point the proxy at: redirects and token realms of a
// public upstream may not lead to loopback, private or link-local addresses, to other
// schemes, or from https down to http; Authorization never follows a redirect to another
// origin. Run against a stub fetch, since no public upstream is reachable here.
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkTarget, ForbiddenTargetError, isPrivateHostname } from "../../proxy/upstream/address-guard.ts";
import { upstreamFetch, v2Url } from "../../proxy/upstream/fetch.ts";

const publicUpstream = new URL("https://registry.example");
const loopbackUpstream = new URL("http://127.0.0.1:5000");

describe("checkTarget", () => {
  it.each([
    ["http://10.0.0.1/blob", publicUpstream, false],
    ["https://169.254.169.254/latest/meta-data", publicUpstream, false],
    ["https://[::1]/x", publicUpstream, false],
    ["https://[fd00::1]/x", publicUpstream, false],
    ["https://2130706433/x", publicUpstream, false],
    ["https://0x7f000001/x", publicUpstream, false],
    ["https://localhost/x", publicUpstream, false],
    ["http://cdn.example/blob", publicUpstream, false], // https -> http downgrade
    ["file:///etc/passwd", loopbackUpstream, false],
    ["https://cdn.example/blob?sig=1", publicUpstream, true],
    ["http://127.0.0.1:5001/token", loopbackUpstream, true], // the harness: upstream itself is local
  ] as const)("%s on behalf of %s: allowed=%s", (target, upstream, allowed) => {
    const check = () => checkTarget(new URL(target), upstream);
    if (allowed) expect(check).not.toThrow();
    else expect(check).toThrow(ForbiddenTargetError);
  });

  it("counts private, shared, unspecified, IPv4-mapped and link-local addresses as private, and public ones not", () => {
    for (const host of ["10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "0.0.0.0", "[::ffff:10.0.0.1]", "fe80::1"]) {
      expect(isPrivateHostname(host), host).toBe(true);
    }
    for (const host of ["172.32.0.1", "8.8.8.8", "registry-1.docker.io", "[2606:4700::1]"]) {
      expect(isPrivateHostname(host), host).toBe(false);
    }
  });
});

describe("upstreamFetch", () => {
  afterEach(() => vi.unstubAllGlobals());

  function stubFetch(answers: Record<string, () => Response>) {
    const calls: { url: string; authorization: string | null }[] = [];
    vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
      calls.push({ url, authorization: new Headers(init.headers).get("authorization") });
      const answer = answers[url];
      if (!answer) throw new Error(`unexpected fetch ${url}`);
      return answer();
    });
    return calls;
  }

  it("refuses a public upstream's redirect to a private address without connecting to it", async () => {
    const calls = stubFetch({
      "https://registry.example/v2/o/a/blobs/sha256:x": () => new Response(null, { status: 307, headers: { location: "http://10.0.0.1/internal" } }),
    });
    const attempt = upstreamFetch(new URL("https://registry.example/v2/o/a/blobs/sha256:x"), { method: "GET", headers: new Headers() }, publicUpstream);
    await expect(attempt).rejects.toThrow(ForbiddenTargetError);
    expect(calls.map((c) => c.url)).toEqual(["https://registry.example/v2/o/a/blobs/sha256:x"]);
  });

  it("follows a redirect to a CDN without the Authorization header", async () => {
    const calls = stubFetch({
      "https://registry.example/v2/o/a/blobs/sha256:x": () => new Response(null, { status: 307, headers: { location: "https://cdn.example/b?sig=1" } }),
      "https://cdn.example/b?sig=1": () => new Response("bytes"),
    });
    const response = await upstreamFetch(new URL("https://registry.example/v2/o/a/blobs/sha256:x"), {
      method: "GET", headers: new Headers({ authorization: "Bearer secret" }),
    }, publicUpstream);
    expect(await response.text()).toBe("bytes");
    expect(calls).toEqual([
      { url: "https://registry.example/v2/o/a/blobs/sha256:x", authorization: "Bearer secret" },
      { url: "https://cdn.example/b?sig=1", authorization: null },
    ]);
  });

  it("builds /v2/ URLs without a doubled slash, keeping a base path", () => {
    expect(v2Url(new URL("http://127.0.0.1:5000"), "o/a/manifests/1").href).toBe("http://127.0.0.1:5000/v2/o/a/manifests/1");
    expect(v2Url(new URL("https://mirror.example/registry/"), "").href).toBe("https://mirror.example/registry/v2/");
  });
});
