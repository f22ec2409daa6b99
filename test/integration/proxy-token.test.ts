// The mirror's /token for the harness's htpasswd registry (basic.test), under wrangler
// dev: the token it issues is not the client's password, opens only for basic.test, and
// stops working once altered; a token request may not carry basic.test's credentials
// to another upstream.
import { describe, expect, it } from "vitest";
import { harness, worker } from "../harness/injected.ts";

const basic = `Basic ${Buffer.from(`${harness.basicUser.username}:${harness.basicUser.password}`).toString("base64")}`;
const manifestAccept = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

async function basicToken(): Promise<{ token: string; expires_in: number }> {
  const query = new URLSearchParams({ service: "basic.test", scope: "repository:basic.test/team/tool:pull" });
  const response = await fetch(`${worker}/token?${query}`, { headers: { authorization: basic } });
  expect(response.status).toBe(200);
  return (await response.json()) as { token: string; expires_in: number };
}

const manifest = (repository: string, token: string) =>
  fetch(`${worker}/v2/${repository}/manifests/v1`, { headers: { authorization: `Bearer ${token}`, accept: manifestAccept } });

describe("/token for a Basic-auth upstream", () => {
  it("issues a short-lived token that is neither the password nor its base64, and that pulls from that upstream", async () => {
    const { token, expires_in } = await basicToken();
    expect(token).not.toContain(basic.slice("Basic ".length));
    expect(token).not.toContain(harness.basicUser.password);
    expect(Buffer.from(token.replace(/^[a-z-]+\./, ""), "base64url").toString("latin1")).not.toContain(harness.basicUser.password);
    expect(expires_in).toBeLessThanOrEqual(3600);
    const pulled = await manifest("basic.test/team/tool", token);
    expect(pulled.status).toBe(200);
    await pulled.body?.cancel();
  });

  it("sends nothing upstream for an altered token: the client is challenged again", async () => {
    const { token } = await basicToken();
    const altered = token.slice(0, -4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
    const refused = await manifest("basic.test/team/tool", altered);
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
  });

  it("refuses to send basic.test's credentials to another upstream named in the scope", async () => {
    const query = new URLSearchParams({ service: "basic.test", scope: "repository:auth.test/private/secret:pull" });
    const response = await fetch(`${worker}/token?${query}`, { headers: { authorization: basic } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: [{ code: "DENIED" }] });
  });
});
