// The registry transport under the shared client: token lifetimes (expires_in honoured,
// an expired token renewed by itself), relative token realms, capped reads of bodies
// that do not say their length, and the HEAD-only access check the mirror relies on.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { readBody, type HttpResponse } from "../../shared/http.ts";
import { parseReference } from "../../shared/reference.ts";
import { RegistryClient } from "../../shared/registry/client.ts";
import { errorFromResponse } from "../../shared/registry/errors.ts";
import { CHUNK, endlessBody } from "../harness/endless-body.ts";
import { bearerChallenge, scriptedFetch } from "../harness/scripted-fetch.ts";

const sha = (b: Uint8Array | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const manifest = new TextEncoder().encode(JSON.stringify({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.manifest.v1+json",
  config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha("c"), size: 1 },
  layers: [],
}));
const ref = parseReference("reg.example/team/app:v1");
const endpoints = { "reg.example": "https://reg.example" };

/** A token registry whose tokens are named by a counter, so a renewal is visible. */
function tokenRegistry(options: { realm?: string; expiresIn?: number } = {}) {
  let issued = 0;
  const valid = new Set<string>();
  const fetch = scriptedFetch((url, init) => {
    if (url.pathname === "/auth/token") {
      const token = `t${++issued}`;
      valid.add(token);
      return Response.json({ access_token: token, ...(options.expiresIn === undefined ? {} : { expires_in: options.expiresIn }) });
    }
    const token = /^Bearer (.+)$/.exec(init.headers?.authorization ?? "")?.[1];
    if (token === undefined || !valid.has(token)) return bearerChallenge(options.realm ?? "https://reg.example/auth/token", "reg", "repository:team/app:pull");
    if (url.pathname.endsWith("/manifests/missing")) return new Response(null, { status: 404 });
    return new Response(manifest as Uint8Array<ArrayBuffer>, { headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" } });
  });
  return { fetch, expire: () => valid.clear(), issued: () => issued };
}

describe("tokens", () => {
  it("reuses a token for as long as expires_in says, then asks for a new one", async () => {
    let now = 1_000_000;
    const registry = tokenRegistry({ expiresIn: 300 });
    const client = new RegistryClient({ fetch: registry.fetch, endpoints, now: () => now });
    await client.getManifest(ref, "v1");
    now += 200_000;
    await client.getManifest(ref, "v1");
    expect(registry.issued()).toBe(1);
    now += 100_000; // past 300 s (less the renewal margin): renewed before use, no 401 first
    const before = registry.fetch.calls.length;
    await client.getManifest(ref, "v1");
    expect(registry.issued()).toBe(2);
    expect(registry.fetch.calls.slice(before).map((c) => new URL(c.url).pathname)).toEqual(["/auth/token", "/v2/team/app/manifests/v1"]);
  });

  it("renews a token the registry stopped accepting early, once, without failing the request", async () => {
    const registry = tokenRegistry({ expiresIn: 3600 });
    const client = new RegistryClient({ fetch: registry.fetch, endpoints });
    await client.getManifest(ref, "v1");
    registry.expire();
    await expect(client.getManifest(ref, "v1")).resolves.toMatchObject({ digest: sha(manifest) });
    expect(registry.issued()).toBe(2);
  });

  it("resolves a realm given relative to the registry", async () => {
    const registry = tokenRegistry({ realm: "/auth/token" });
    const client = new RegistryClient({ fetch: registry.fetch, endpoints });
    await client.getManifest(ref, "v1");
    expect(registry.fetch.calls.some((c) => c.url.startsWith("https://reg.example/auth/token?service=reg&scope=repository%3Ateam%2Fapp%3Apull"))).toBe(true);
  });
});

describe("bounded reads", () => {
  function endless(total: number): { response: HttpResponse; pulled: () => number } {
    const { body, pulled } = endlessBody(total);
    return { response: new Response(body) as unknown as HttpResponse, pulled };
  }

  it("stops reading a body without Content-Length as soon as it passes the cap", async () => {
    const { response, pulled } = endless(64 << 20);
    await expect(readBody(response, 1 << 20)).rejects.toThrow(RangeError);
    expect(pulled()).toBeLessThanOrEqual((1 << 20) + 2 * CHUNK);
  });

  it("refuses a manifest larger than 4 MiB sent without Content-Length", async () => {
    const client = new RegistryClient({ fetch: scriptedFetch(() => endless(64 << 20).response as unknown as Response), endpoints });
    await expect(client.getManifest(ref, "v1")).rejects.toMatchObject({ code: "BAD_MANIFEST", message: expect.stringContaining("is too large") });
  });

  it("reads only the start of an error document", async () => {
    const { response, pulled } = endless(64 << 20);
    Object.defineProperty(response, "status", { value: 500 });
    const error = await errorFromResponse(response, "x", "reg.example");
    expect(error.code).toBe("UPSTREAM");
    expect(pulled()).toBeLessThanOrEqual(2 * CHUNK);
  });

  it("refuses a token answer of more than 64 KiB, reading no more of it", async () => {
    const token = endless(64 << 20);
    const fetch = scriptedFetch((url) => url.pathname === "/token" ? token.response as unknown as Response : bearerChallenge("https://reg.example/token", "reg", "repository:team/app:pull"));
    const client = new RegistryClient({ fetch, endpoints, retries: 0 });
    await expect(client.getManifest(ref, "v1")).rejects.toMatchObject({ code: "UPSTREAM", message: expect.stringContaining("not a token") });
    expect(token.pulled()).toBeLessThanOrEqual((64 << 10) + 2 * CHUNK);
  });

  it("refuses a tag list page of more than 4 MiB, reading no more of it", async () => {
    const page = endless(64 << 20);
    const client = new RegistryClient({ fetch: scriptedFetch(() => page.response as unknown as Response), endpoints, retries: 0 });
    await expect(client.listTags(ref)).rejects.toMatchObject({ message: expect.stringContaining("is too large") });
    expect(page.pulled()).toBeLessThanOrEqual((4 << 20) + 2 * CHUNK);
  });
});

describe("canRead", () => {
  it("is true for what the registry serves, false for what it refuses or lacks, and moves no body", async () => {
    const registry = tokenRegistry();
    const client = new RegistryClient({ fetch: registry.fetch, endpoints });
    expect(await client.canRead(ref, "manifests/v1")).toBe(true);
    expect(await client.canRead(ref, "manifests/missing")).toBe(false);
    expect(registry.fetch.calls.filter((c) => c.url.includes("/v2/")).every((c) => c.init.method === "HEAD")).toBe(true);
    const refusing = new RegistryClient({ fetch: scriptedFetch(() => new Response(null, { status: 403 })), endpoints });
    expect(await refusing.canRead(ref, "manifests/v1")).toBe(false);
  });
});

describe("child manifests", () => {
  it("must have the size the index gives", async () => {
    const client = new RegistryClient({ fetch: tokenRegistry().fetch, endpoints });
    await expect(client.getChildManifest(ref, { digest: sha(manifest), size: manifest.length + 1 })).rejects.toMatchObject({ code: "BAD_MANIFEST" });
    await expect(client.getChildManifest(ref, { digest: sha("other"), size: manifest.length })).rejects.toMatchObject({ code: "DIGEST_MISMATCH" });
    await expect(client.getChildManifest(ref, { digest: sha(manifest), size: manifest.length })).resolves.toMatchObject({ digest: sha(manifest) });
  });
});
