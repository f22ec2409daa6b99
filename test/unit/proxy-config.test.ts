// The Worker's one config loader (proxy/config.ts): defaults when vars are unset (the
// default upstreams, the cache lifetimes users were promised), vars read as given, and
// bad vars refused with a message naming the var.
import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_UPSTREAMS, loadConfig } from "../../proxy/config.ts";

describe("loadConfig", () => {
  it("serves the default upstreams and lifetimes when no vars are set", () => {
    const config = loadConfig({});
    expect(Object.fromEntries([...config.upstreams].map(([key, url]) => [key, url.href.replace(/\/$/, "")]))).toEqual(DEFAULT_UPSTREAMS);
    expect(config).toMatchObject({ tagTtlSeconds: 300, rateLimitPerMinute: 100, blobRateLimitPerMinute: 1000, fillBudget: 10 * 1024 ** 3, allowedOrigins: ["*"], searchTtlMs: 300_000, popularTtlMs: 3_600_000, detailsTtlMs: 1_800_000 });
    expect(config.hubApi.href).toBe("https://hub.docker.com/");
    expect(config.upstreamDeadlines).toEqual({ headersMs: 30_000, idleMs: 60_000 });
  });

  it("reads the upstream deadlines in seconds, 0 for none", () => {
    expect(loadConfig({ UPSTREAM_HEADERS_TIMEOUT: "1.5", UPSTREAM_IDLE_TIMEOUT: "0" }).upstreamDeadlines).toEqual({ headersMs: 1500, idleMs: 0 });
  });

  it("reads UPSTREAMS, lifetimes and origins as given", () => {
    const config = loadConfig({ UPSTREAMS: '{"Docker.io":"http://127.0.0.1:5000/"}', SEARCH_TTL: "0", DETAILS_TTL: "60", ALLOWED_ORIGINS: "https://a.example, https://b.example" });
    expect([...config.upstreams.keys()]).toEqual(["docker.io"]);
    expect(config.upstreams.get("docker.io")!.href).toBe("http://127.0.0.1:5000/");
    expect(config).toMatchObject({ searchTtlMs: 0, detailsTtlMs: 60_000, popularTtlMs: 3_600_000, allowedOrigins: ["https://a.example", "https://b.example"] });
  });

  it("derives BLOB_RATE_LIMIT from RATE_LIMIT unless set, and reads FILL_BUDGET", () => {
    expect(loadConfig({ RATE_LIMIT: "0" }).blobRateLimitPerMinute).toBe(0);
    expect(loadConfig({ RATE_LIMIT: "30" }).blobRateLimitPerMinute).toBe(300);
    expect(loadConfig({ RATE_LIMIT: "30", BLOB_RATE_LIMIT: "50" }).blobRateLimitPerMinute).toBe(50);
    expect(loadConfig({ FILL_BUDGET: "0" }).fillBudget).toBe(0);
  });

  it.each([
    [{ BLOB_RATE_LIMIT: "lots" }, /^BLOB_RATE_LIMIT must be a non-negative number/],
    [{ FILL_BUDGET: "-1" }, /^FILL_BUDGET must be a non-negative number/],
    [{ UPSTREAMS: "{docker.io}" }, /^UPSTREAMS is not valid JSON/],
    [{ UPSTREAMS: '["https://ghcr.io"]' }, /^UPSTREAMS must be a JSON object/],
    [{ UPSTREAMS: '{"ghcr.io":"ftp://ghcr.io"}' }, /^UPSTREAMS\["ghcr.io"\] must be http or https/],
    [{ TAG_TTL: "-1" }, /^TAG_TTL must be a non-negative number, got "-1"$/],
    [{ SEARCH_TTL: "soon" }, /^SEARCH_TTL must be a non-negative number, got "soon"$/],
    [{ POPULAR_TTL: "-5" }, /^POPULAR_TTL must be a non-negative number/],
    [{ UPSTREAM_HEADERS_TIMEOUT: "soon" }, /^UPSTREAM_HEADERS_TIMEOUT must be a non-negative number/],
  ])("refuses %j", (vars, message) => {
    expect(() => loadConfig(vars)).toThrow(ConfigError);
    expect(() => loadConfig(vars)).toThrow(message);
  });

  it("reads UPSTREAM_AUTH per UPSTREAMS key", () => {
    const config = loadConfig({ UPSTREAM_AUTH: '{"Docker.io":{"username":"me","password":"s3cret"}}' });
    expect([...config.upstreamAuth]).toEqual([["docker.io", { username: "me", password: "s3cret" }]]);
    expect(loadConfig({}).upstreamAuth.size).toBe(0);
  });

  it("forwards client credentials to docker.io alone unless CREDENTIAL_UPSTREAMS says otherwise", () => {
    expect([...loadConfig({}).credentialUpstreams]).toEqual(["docker.io"]);
    expect([...loadConfig({ CREDENTIAL_UPSTREAMS: " GHCR.io, docker.io ," }).credentialUpstreams]).toEqual(["ghcr.io", "docker.io"]);
    expect(loadConfig({ CREDENTIAL_UPSTREAMS: "" }).credentialUpstreams.size).toBe(0);
    // The default names docker.io whether it is served or not; naming it explicitly when it is not served is a mistake.
    expect([...loadConfig({ UPSTREAMS: '{"ghcr.io":"https://ghcr.io"}' }).credentialUpstreams]).toEqual(["docker.io"]);
    expect(() => loadConfig({ UPSTREAMS: '{"ghcr.io":"https://ghcr.io"}', CREDENTIAL_UPSTREAMS: "docker.io" })).toThrow(/^CREDENTIAL_UPSTREAMS names "docker\.io", which is not a registry in UPSTREAMS \(ghcr\.io\)$/);
  });

  it("reads the TOKEN_SECRET secret with the vars; unset or empty, there is none", () => {
    expect(loadConfig({ TOKEN_SECRET: "s3cret" }).tokenSecret).toBe("s3cret");
    expect(loadConfig({ TOKEN_SECRET: "" }).tokenSecret).toBeUndefined();
    expect(loadConfig({}).tokenSecret).toBeUndefined();
  });

  it.each([
    ['{"docker.io":{"username":"me","password":"s3cret"', /^UPSTREAM_AUTH is not valid JSON; expected e\.g\. /],
    ['[{"username":"me","password":"s3cret"}]', /^UPSTREAM_AUTH must be a JSON object/],
    ['{"s3cret.example":{"username":"me","password":"s3cret"}}', /^UPSTREAM_AUTH names "s3cret\.example", which is not a registry in UPSTREAMS \(docker\.io, /],
    ['{"docker.io":{"username":"me"}}', /^UPSTREAM_AUTH\["docker\.io"\] needs a non-empty "username" and "password"/],
    ['{"docker.io":{"username":"","password":"s3cret"}}', /^UPSTREAM_AUTH\["docker\.io"\] needs/],
    ['{"docker.io":"me:s3cret"}', /^UPSTREAM_AUTH\["docker\.io"\] needs/],
  ])("refuses UPSTREAM_AUTH %s, naming the key but never the password", (raw, message) => {
    let error: unknown;
    try {
      loadConfig({ UPSTREAM_AUTH: raw });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message.replace("s3cret.example", "")).not.toContain("s3cret");
  });
});
