// The address guard on what upstreams point the proxy at: redirects and token realms of a
// public upstream may not lead to loopback, private or link-local addresses, to other
// schemes, or from https down to http; Authorization never follows a redirect to another
// origin. Run against a stub fetch, since no public upstream is reachable here.
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkTarget, ForbiddenTargetError, isPrivateHostname, parseIpv6 } from "../../proxy/upstream/address-guard.ts";
import { upstreamFetch, v2Url } from "../../proxy/upstream/fetch.ts";
import { loadConfig } from "../../proxy/config.ts";
import { handleToken } from "../../proxy/token.ts";

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

describe("isPrivateHostname: every spelling of a non-public address", () => {
  function expectRefused(host: string) {
    const { hostname } = new URL(`https://${host}/x`);
    expect(isPrivateHostname(hostname), hostname).toBe(true);
    expect(() => checkTarget(new URL(`https://${host}/x`), publicUpstream)).toThrow(ForbiddenTargetError);
  }

  // Hosts as URL.hostname gives them (the parser already rewrites [::ffff:127.0.0.1] to
  // [::ffff:7f00:1] and 2130706433 to 127.0.0.1), so each row goes through new URL first.
  it.each([
    ["[::ffff:127.0.0.1]", "IPv4-mapped loopback (parsed to ::ffff:7f00:1)"],
    ["[0:0:0:0:0:ffff:7f00:1]", "IPv4-mapped loopback, uncompressed"],
    ["[::127.0.0.1]", "IPv4-compatible loopback"],
    ["[::a00:1]", "IPv4-compatible 10.0.0.1"],
    ["[::ffff:0:7f00:1]", "IPv4-translated loopback"],
    ["[64:ff9b::7f00:1]", "NAT64 of loopback"],
    ["[64:ff9b::a9fe:a9fe]", "NAT64 of the metadata address"],
    ["[64:ff9b:1::1]", "local-use NAT64"],
    ["[2002:7f00:1::]", "6to4 of loopback"],
    ["[2002:a9fe:a9fe::1]", "6to4 of the metadata address"],
    ["[2001::1]", "Teredo"],
    ["[fec0::1]", "site-local"],
    ["[feff::1]", "site-local, top of the range"],
    ["[ff02::1]", "multicast"],
    ["localhost.", "localhost with a trailing dot"],
    ["LOCALHOST..", "localhost with trailing dots, upper case"],
    ["metadata.google.internal.", "an .internal name with a trailing dot"],
    ["printer.local.", "an mDNS name with a trailing dot"],
    ["198.18.0.1", "benchmarking (198.18/15)"],
    ["198.19.255.255", "benchmarking, top"],
  ])("%s (%s), which passed as public before, is refused", (host) => expectRefused(host));

  it.each([
    ["[fe80::1]", "link-local"],
    ["[febf::1]", "link-local, top of the range"],
    ["[fc00::1]", "unique local"],
    ["[fdff::1]", "unique local, top of the range"],
    ["[::]", "unspecified"],
    ["[::1]", "loopback"],
    ["[0:0:0:0:0:0:0:1]", "loopback, uncompressed"],
    ["127.0.0.1.", "loopback with a trailing dot"],
    ["0.1.2.3", "this network (0/8)"],
    ["100.64.0.1", "shared address space (100.64/10)"],
    ["100.127.255.255", "shared address space, top"],
    ["224.0.0.1", "multicast"],
    ["240.0.0.1", "reserved (240/4)"],
    ["255.255.255.255", "broadcast"],
    ["2130706433", "loopback as one decimal number"],
    ["127.1", "loopback, short form"],
  ])("%s (%s) is still refused", (host) => expectRefused(host));

  it.each([
    "8.8.8.8", "100.63.255.255", "100.128.0.1", "198.17.255.255", "198.20.0.1", "223.255.255.255",
    "[2606:4700::1]", "[::ffff:8.8.8.8]", "[64:ff9b::808:808]", "[2002:808:808::1]", "[fbff::1]", "[fe7f::1]",
    "registry-1.docker.io", "registry-1.docker.io.", "internal.example", "localhost.example",
  ])("%s is public", (host) => {
    const { hostname } = new URL(`https://${host}/x`);
    expect(isPrivateHostname(hostname), hostname).toBe(false);
  });
});

describe("parseIpv6", () => {
  it.each([
    ["::", [0, 0, 0, 0, 0, 0, 0, 0]],
    ["::1", [0, 0, 0, 0, 0, 0, 0, 1]],
    ["1::", [1, 0, 0, 0, 0, 0, 0, 0]],
    ["2002:7f00:1::", [0x2002, 0x7f00, 1, 0, 0, 0, 0, 0]],
    ["64:ff9b::127.0.0.1", [0x64, 0xff9b, 0, 0, 0, 0, 0x7f00, 1]],
    ["::ffff:10.0.0.1", [0, 0, 0, 0, 0, 0xffff, 0x0a00, 1]],
    ["1:2:3:4:5:6:7:8", [1, 2, 3, 4, 5, 6, 7, 8]],
    ["1:2:3:4:5:6:1.2.3.4", [1, 2, 3, 4, 5, 6, 0x0102, 0x0304]],
    ["fe80::1%eth0", [0xfe80, 0, 0, 0, 0, 0, 0, 1]],
  ])("%s is %j", (text, hextets) => expect(parseIpv6(text)).toEqual(hextets));

  it.each(["1::2::3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8", "12345::", "::256.0.0.1", "g::1"])(
    "%s is malformed (and so counted private)", (text) => {
      expect(parseIpv6(text)).toBeNull();
      expect(isPrivateHostname(`[${text}]`)).toBe(true);
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

  it.each(["https://[::ffff:127.0.0.1]:5000/blob", "https://[64:ff9b::a9fe:a9fe]/latest", "https://[2002:7f00:1::]/x", "https://localhost./x", "https://metadata.google.internal./x"])(
    "refuses a public upstream's redirect to %s without connecting to it", async (location) => {
      const calls = stubFetch({
        "https://registry.example/v2/o/a/blobs/sha256:x": () => new Response(null, { status: 307, headers: { location } }),
      });
      const attempt = upstreamFetch(new URL("https://registry.example/v2/o/a/blobs/sha256:x"), { method: "GET", headers: new Headers() }, publicUpstream);
      await expect(attempt).rejects.toThrow(ForbiddenTargetError);
      expect(calls.map((c) => c.url)).toEqual(["https://registry.example/v2/o/a/blobs/sha256:x"]);
    });

  it.each(["https://[::ffff:127.0.0.1]/token", "https://[64:ff9b::7f00:1]/token", "https://localhost./token", "https://[fec0::1]/token"])(
    "/token refuses a public upstream's token realm at %s without connecting to it", async (realm) => {
      const upstream = `https://registry-${realm.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.example`; // one realm cache entry per row
      const calls = stubFetch({
        [`${upstream}/v2/`]: () => new Response(null, { status: 401, headers: { "www-authenticate": `Bearer realm="${realm}",service="r"` } }),
      });
      const config = loadConfig({ UPSTREAMS: JSON.stringify({ "public.example": upstream }) });
      const response = await handleToken(new Request("https://mirror.example/token?service=public.example&scope=repository:o/a:pull", {
        headers: { authorization: `Basic ${btoa("user:password")}` },
      }), { config, now: Date.now });
      expect(await response.json()).toMatchObject({ errors: [{ code: "DENIED" }] });
      expect(response.status).toBe(403);
      expect(calls.map((c) => c.url)).toEqual([`${upstream}/v2/`]);
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
