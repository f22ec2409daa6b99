// The foundation's end-to-end check: the real Worker (wrangler dev) serves the app and
// pulls a fixture's manifest and blobs from the real registry, with the token dance.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fixtureImage, worker } from "../harness/injected.ts";


function sha256(bytes: ArrayBuffer): string {
  return "sha256:" + createHash("sha256").update(new Uint8Array(bytes)).digest("hex");
}

async function anonymousToken(scope: string): Promise<string> {
  const probe = await fetch(`${worker}/v2/`);
  expect(probe.status).toBe(401);
  const challenge = probe.headers.get("www-authenticate") ?? "";
  expect(challenge).toContain(`realm="${worker}/token"`);
  const response = await fetch(`${worker}/token?service=docker.io&scope=${encodeURIComponent(scope)}`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { token: string; access_token: string };
  expect(body.token).toBe(body.access_token);
  return body.token;
}

describe("the Worker under wrangler dev", () => {
  it("serves the PWA shell at /", async () => {
    const response = await fetch(`${worker}/`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<div id="app">');
  });

  it("pulls a fixture manifest and its blobs from the real registry, digests intact", async () => {
    const fixture = fixtureImage("test/single");
    const token = await anonymousToken("repository:test/single:pull");
    const auth = { authorization: `Bearer ${token}` };
    const manifestResponse = await fetch(`${worker}/v2/test/single/manifests/${fixture.tag}`, {
      headers: { ...auth, accept: "application/vnd.docker.distribution.manifest.v2+json" },
    });
    expect(manifestResponse.status).toBe(200);
    const bytes = await manifestResponse.arrayBuffer();
    expect(sha256(bytes)).toBe(fixture.digest);
    expect(manifestResponse.headers.get("docker-content-digest")).toBe(fixture.digest);

    const manifest = JSON.parse(new TextDecoder().decode(bytes)) as { config: { digest: string }; layers: { digest: string; size: number }[] };
    for (const descriptor of [manifest.config, ...manifest.layers]) {
      const blob = await fetch(`${worker}/v2/test/single/blobs/${descriptor.digest}`, { headers: auth });
      expect(blob.status).toBe(200);
      expect(sha256(await blob.arrayBuffer())).toBe(descriptor.digest);
    }
  });

  it("refuses a registry that is not in UPSTREAMS, naming the ones it serves", async () => {
    const response = await fetch(`${worker}/v2/evil.example/x/y/manifests/latest`);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0].code).toBe("NAME_UNKNOWN");
    expect(body.errors[0].message).toContain("docker.io");
  });
});
