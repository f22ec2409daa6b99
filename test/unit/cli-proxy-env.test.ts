// The CLI's proxy choice from HTTP_PROXY/HTTPS_PROXY/NO_PROXY, table-driven: the same
// rules as curl and undici's EnvHttpProxyAgent.
import { describe, expect, it } from "vitest";
import { proxyFor, redactUrl } from "../../cli/network/proxy-env.ts";

const P = "http://proxy.test:3128";
const cases: { name: string; url: string; env: Record<string, string>; proxy?: string }[] = [
  { name: "no variables: direct", url: "https://ghcr.io/v2/", env: {} },
  { name: "https uses HTTPS_PROXY", url: "https://ghcr.io/v2/", env: { HTTPS_PROXY: P, HTTP_PROXY: "http://other:1" }, proxy: P },
  { name: "https falls back to HTTP_PROXY", url: "https://ghcr.io/v2/", env: { HTTP_PROXY: P }, proxy: P },
  { name: "http uses HTTP_PROXY only", url: "http://127.0.0.1:5000/v2/", env: { HTTPS_PROXY: P } },
  { name: "lower case wins", url: "http://127.0.0.1:5000/v2/", env: { http_proxy: P, HTTP_PROXY: "http://other:1" }, proxy: P },
  { name: "empty value is unset", url: "http://127.0.0.1:5000/v2/", env: { http_proxy: "", HTTP_PROXY: P }, proxy: P },
  { name: "no scheme means http", url: "http://a.test/", env: { HTTP_PROXY: "proxy.test:3128" }, proxy: P },
  { name: "loopback is proxied unless exempt", url: "http://127.0.0.1:5000/v2/", env: { HTTP_PROXY: P }, proxy: P },
  { name: "NO_PROXY host", url: "http://127.0.0.1:5000/v2/", env: { HTTP_PROXY: P, NO_PROXY: "localhost,127.0.0.1" } },
  { name: "NO_PROXY host:port matches the port", url: "http://127.0.0.1:5000/v2/", env: { HTTP_PROXY: P, NO_PROXY: "127.0.0.1:5000" } },
  { name: "NO_PROXY host:port, other port", url: "http://127.0.0.1:5001/v2/", env: { HTTP_PROXY: P, NO_PROXY: "127.0.0.1:5000" }, proxy: P },
  { name: "NO_PROXY domain covers subdomains", url: "https://cdn.example.test/x", env: { HTTPS_PROXY: P, no_proxy: ".example.test" } },
  { name: "NO_PROXY *.domain", url: "https://a.b.example.test/x", env: { HTTPS_PROXY: P, NO_PROXY: "*.example.test" } },
  { name: "NO_PROXY is not a substring match", url: "https://notexample.test/x", env: { HTTPS_PROXY: P, NO_PROXY: "example.test" }, proxy: P },
  { name: "NO_PROXY *", url: "https://ghcr.io/v2/", env: { HTTPS_PROXY: P, NO_PROXY: "*" } },
  { name: "NO_PROXY with spaces", url: "https://ghcr.io/v2/", env: { HTTPS_PROXY: P, NO_PROXY: "a.test GHCR.IO" } },
  { name: "NO_PROXY [::1]", url: "http://[::1]:5000/v2/", env: { HTTP_PROXY: P, NO_PROXY: "[::1]" } },
];

describe("proxyFor", () => {
  for (const c of cases) {
    it(c.name, () => {
      expect(proxyFor(new URL(c.url), c.env).proxy).toBe(c.proxy);
    });
  }
  it("says why", () => {
    expect(proxyFor(new URL("http://a.test/"), { http_proxy: P }).reason).toBe("http_proxy");
    expect(proxyFor(new URL("http://a.test/"), { HTTP_PROXY: P, NO_PROXY: "a.test" }).reason).toBe("NO_PROXY exempts it");
  });
});

describe("redactUrl", () => {
  it("never shows a proxy's password", () => {
    expect(redactUrl("http://me:s3cret@proxy.test:3128")).toBe("http://***@proxy.test:3128");
    expect(redactUrl("http://proxy.test:3128/")).toBe("http://proxy.test:3128");
  });
});
