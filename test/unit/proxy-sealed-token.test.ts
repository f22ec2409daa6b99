// The token the mirror issues for a Basic-auth upstream: not the password, bound to the
// one upstream it was issued for, expiring, and worthless once altered or opened with
// another secret; and auth.ts turning it back into Basic only for that upstream.
import { describe, expect, it } from "vitest";
import { loadConfig, type ProxyContext } from "../../proxy/config.ts";
import { basicCredentialsToken, markAnonymous, upstreamAuthorization } from "../../proxy/upstream/auth.ts";
import { openCredentials, SEALED_TOKEN_TTL, sealCredentials } from "../../proxy/upstream/sealed-token.ts";

const credentials = btoa("alice:wonderland");

describe("sealCredentials and openCredentials", () => {
  it.each([["a TOKEN_SECRET", "s3cret"], ["no secret (a random key of this isolate)", undefined]])("open what they sealed, with %s", async (_, secret) => {
    const token = await sealCredentials(credentials, "basic.test", secret);
    expect(await openCredentials(token, "basic.test", secret)).toBe(credentials);
  });

  it("seal something that is neither the password nor its base64", async () => {
    const token = await sealCredentials(credentials, "basic.test", "s3cret");
    expect(token).not.toContain(credentials);
    expect(token).not.toContain("wonderland");
    expect(atob(token.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(token.length / 4) * 4, "="))).not.toContain("wonderland");
  });

  it("open nothing for another upstream, with another secret, after expiry, or once altered", async () => {
    const now = Date.now();
    const token = await sealCredentials(credentials, "basic.test", "s3cret", now);
    expect(await openCredentials(token, "docker.io", "s3cret", now)).toBeNull();
    expect(await openCredentials(token, "basic.test", "other secret", now)).toBeNull();
    expect(await openCredentials(token, "basic.test", undefined, now)).toBeNull();
    expect(await openCredentials(token, "basic.test", "s3cret", now + SEALED_TOKEN_TTL * 1000 + 1000)).toBeNull();
    const flipped = token.slice(0, 20) + (token[20] === "A" ? "B" : "A") + token.slice(21);
    expect(await openCredentials(flipped, "basic.test", "s3cret", now)).toBeNull();
    for (const junk of ["", "x", "not base64!", "A".repeat(5)]) expect(await openCredentials(junk, "basic.test", "s3cret", now)).toBeNull();
  });
});

describe("upstreamAuthorization", () => {
  // Client credentials go to docker.io and basic.test (CREDENTIAL_UPSTREAMS), never to other.test.
  const vars = { UPSTREAMS: JSON.stringify({ "docker.io": "https://docker.test", "basic.test": "https://basic.test", "other.test": "https://other.test" }), CREDENTIAL_UPSTREAMS: "docker.io,basic.test" };
  const at = (now: number, secret = "s3cret"): ProxyContext => ({ config: loadConfig({ ...vars, TOKEN_SECRET: secret }), now: () => now });

  it("turns a sealed token back into Basic for its own upstream only, with the config's TOKEN_SECRET, until it expires by the context's clock", async () => {
    const now = Date.now();
    const token = await basicCredentialsToken(`Basic ${credentials}`, "basic.test", at(now));
    expect(await upstreamAuthorization(`Bearer ${token}`, "basic.test", at(now))).toBe(`Basic ${credentials}`);
    expect(await upstreamAuthorization(`Bearer ${token}`, "docker.io", at(now))).toBeNull();
    expect(await upstreamAuthorization(`Bearer ${token}`, "basic.test", at(now, "other secret"))).toBeNull();
    expect(await upstreamAuthorization(`Bearer ${token}`, "basic.test", at(now + SEALED_TOKEN_TTL * 1000 + 1000))).toBeNull();
  });

  it("forwards an upstream's own token and Basic credentials as they are, and nothing for the anonymous marker", async () => {
    expect(await upstreamAuthorization("Bearer upstream-jwt", "docker.io", at(Date.now()))).toBe("Bearer upstream-jwt");
    expect(await upstreamAuthorization(`Basic ${credentials}`, "basic.test", at(Date.now()))).toBe(`Basic ${credentials}`);
    expect(await upstreamAuthorization("Bearer dockerdl-anonymous", "basic.test", at(Date.now()))).toBeNull();
    expect(await upstreamAuthorization(null, "basic.test", at(Date.now()))).toBeNull();
  });

  it("sends an upstream outside CREDENTIAL_UPSTREAMS only the anonymous token /token marked, none of the client's own credentials", async () => {
    const now = Date.now();
    const sealed = await basicCredentialsToken(`Basic ${credentials}`, "other.test", at(now));
    for (const own of ["Bearer upstream-jwt", `Basic ${credentials}`, `Bearer ${sealed}`]) expect(await upstreamAuthorization(own, "other.test", at(now)), own).toBeNull();
    expect(await upstreamAuthorization(`Bearer ${markAnonymous("anonymous-jwt")}`, "other.test", at(now))).toBe("Bearer anonymous-jwt");
  });
});
