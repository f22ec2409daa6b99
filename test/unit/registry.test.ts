// The registry client against a scripted fetch: where requests go (direct, proxy,
// http for loopback), the token dance and its cache, redirects without Authorization
// across origins, digest checks, Range handling, and how failures read.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DockerdlError } from "../../shared/errors.ts";
import { parseReference } from "../../shared/reference.ts";
import { bodyStream, sliceBody } from "../../shared/registry/blobs.ts";
import { defaultBase, RegistryClient } from "../../shared/registry/client.ts";
import { RegistryError } from "../../shared/registry/errors.ts";
import { scriptedFetch as fakeFetch, type ScriptedHandler as Handler } from "../harness/scripted-fetch.ts";

const sha = (b: Uint8Array | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

const layer = new TextEncoder().encode("layer bytes 0123456789");
/** A single-layer image for one architecture: its config and manifest bytes. */
function archImage(architecture: string): { config: Uint8Array; manifest: Uint8Array } {
  const config = json({ architecture, os: "linux", rootfs: { type: "layers", diff_ids: [sha("x")] } });
  const manifest = json({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha(layer), size: layer.length }],
  });
  return { config, manifest };
}
const { config, manifest } = archImage("amd64");
const { config: armConfig, manifest: armManifest } = archImage("arm64");
const index = json({
  schemaVersion: 2,
  mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [
    { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: sha(manifest), size: manifest.length, platform: { os: "linux", architecture: "amd64" } },
    { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: sha(armManifest), size: armManifest.length, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
    { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: sha("att"), size: 10, platform: { os: "unknown", architecture: "unknown" }, annotations: { "vnd.docker.reference.type": "attestation-manifest" } },
  ],
});

/** A registry with token auth: blobs and manifests by digest, `v1` → index. */
function registry(options: { tokenStatus?: number; blobRedirect?: string } = {}): Handler {
  const blobs = new Map([[sha(layer), layer], [sha(config), config], [sha(armConfig), armConfig]]);
  const manifests = new Map([[sha(manifest), manifest], [sha(armManifest), armManifest], [sha(index), index], ["v1", index], ["single", manifest]]);
  return (url, init) => {
    if (url.pathname === "/token") {
      if (options.tokenStatus) return new Response("{}", { status: options.tokenStatus });
      return Response.json({ token: `tok-${url.searchParams.get("scope")}`, expires_in: 300 });
    }
    if (url.host === "cdn.example") {
      if (init.headers?.authorization) return new Response("leaked", { status: 400 });
      return new Response(layer as Uint8Array<ArrayBuffer>);
    }
    const auth = init.headers?.authorization;
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/.exec(url.pathname);
    if (!m) return new Response("?", { status: 404 });
    if (auth !== `Bearer tok-repository:${m[1]}:pull`) {
      return new Response(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }), {
        status: 401,
        headers: { "www-authenticate": `Bearer realm="https://auth.example/token",service="reg",scope="repository:${m[1]}:pull"` },
      });
    }
    if (m[2] === "manifests") {
      const bytes = manifests.get(m[3]);
      if (!bytes) return new Response(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }] }), { status: 404 });
      const type = (JSON.parse(new TextDecoder().decode(bytes)) as { mediaType: string }).mediaType;
      return new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": type, "docker-content-digest": sha(bytes) } });
    }
    const blob = blobs.get(m[3]);
    if (!blob) return new Response("{}", { status: 404 });
    if (m[3] === sha(layer) && options.blobRedirect) return new Response(null, { status: 307, headers: { location: options.blobRedirect } });
    const range = /^bytes=(\d+)-(\d+)$/.exec(init.headers?.range ?? "");
    if (range) {
      const [start, end] = [Number(range[1]), Number(range[2])];
      return new Response(blob.slice(start, end + 1) as Uint8Array<ArrayBuffer>, { status: 206, headers: { "content-range": `bytes ${start}-${end}/${blob.length}` } });
    }
    return new Response(blob as Uint8Array<ArrayBuffer>);
  };
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream as ReadableStream<Uint8Array<ArrayBuffer>>).arrayBuffer());
}

describe("where requests go", () => {
  const client = (options: { proxy?: string; insecure?: boolean } = {}) => new RegistryClient({ fetch: fakeFetch(() => new Response()), ...options });
  it.each([
    ["ubuntu", {}, "https://registry-1.docker.io", "library/ubuntu"],
    ["ghcr.io/o/a:1", {}, "https://ghcr.io", "o/a"],
    ["localhost:5000/a", {}, "http://localhost:5000", "a"],
    ["127.0.0.1:5000/a/b/c", {}, "http://127.0.0.1:5000", "a/b/c"],
    ["registry.lan/x", { insecure: true }, "http://registry.lan", "x"],
    ["ubuntu", { proxy: "https://p.example/" }, "https://p.example", "library/ubuntu"],
    ["user/app", { proxy: "https://p.example" }, "https://p.example", "user/app"],
    ["ghcr.io/o/a", { proxy: "https://p.example" }, "https://p.example", "ghcr.io/o/a"],
  ] as const)("%s %j → %s/v2/%s", (ref, options, base, name) => {
    expect(client(options).endpoint(parseReference(ref))).toMatchObject({ base, name });
  });

  it("uses http only for loopback registries unless told", () => {
    expect(defaultBase("localhost", false)).toBe("http://localhost");
    expect(defaultBase("[::1]:5000", false)).toBe("http://[::1]:5000");
    expect(defaultBase("quay.io", false)).toBe("https://quay.io");
  });
});

describe("resolveImage", () => {
  it("does the token dance once, then reuses the token for the scope", async () => {
    const fetch = fakeFetch(registry());
    const client = new RegistryClient({ fetch, endpoints: { "reg.example": "https://reg.example" } });
    const image = await client.resolveImage(parseReference("reg.example/team/app:v1"), { os: "linux", architecture: "arm64" });
    expect(image.manifest.digest).toBe(sha(armManifest));
    expect(image.index?.digest).toBe(sha(index));
    expect(image.platform).toMatchObject({ os: "linux", architecture: "arm64" });
    expect(image.platforms.map((p) => p.architecture)).toEqual(["amd64", "arm64"]); // no attestation
    expect(image.layers).toEqual([{ digest: sha(layer), size: layer.length, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" }]);
    const tokenCalls = fetch.calls.filter((c) => c.url.includes("/token"));
    expect(tokenCalls).toHaveLength(1);
    expect(new URL(tokenCalls[0].url).searchParams.get("service")).toBe("reg");
    expect(new URL(tokenCalls[0].url).searchParams.get("scope")).toBe("repository:team/app:pull");
    expect(fetch.calls.filter((c) => c.url.includes("/v2/")).length).toBe(4); // 401, index, manifest, config
    expect(fetch.calls.find((c) => c.url.endsWith("/manifests/v1"))?.init.headers?.accept).toContain("application/vnd.docker.distribution.manifest.list.v2+json");
  });

  it("sends credentials to the token service as Basic", async () => {
    const fetch = fakeFetch(registry());
    const client = new RegistryClient({ fetch, endpoints: { "reg.example": "https://reg.example" }, credentials: { username: "me", password: "pässword" } });
    await client.resolveImage(parseReference("reg.example/a:single"));
    const token = fetch.calls.find((c) => c.url.includes("/token"));
    expect(token?.init.headers?.authorization).toBe(`Basic ${Buffer.from("me:pässword").toString("base64")}`);
  });

  it("says the username or password was rejected when the token service refuses", async () => {
    const client = new RegistryClient({ fetch: fakeFetch(registry({ tokenStatus: 401 })), endpoints: { "reg.example": "https://reg.example" }, credentials: { username: "me", password: "x" } });
    const resolving = client.resolveImage(parseReference("reg.example/a:single"));
    await expect(resolving).rejects.toThrow(DockerdlError);
    await expect(resolving).rejects.toMatchObject({ code: "UNAUTHORIZED", message: expect.stringContaining("rejected the username or password") });
  });

  it("names where rejected credentials came from in the hint: a config file, else the flags", async () => {
    for (const [source, hint] of [
      ["/home/me/.docker/config.json (entry \"reg.example\")", "the username and password were read from /home/me/.docker/config.json (entry \"reg.example\"): log in again (docker login or podman login), or give them with --username and --password-stdin"],
      [undefined, "check the username and password given with --username and --password-stdin"],
    ] as const) {
      const credentials = { username: "me", password: "x", ...(source === undefined ? {} : { source }) };
      const client = new RegistryClient({ fetch: fakeFetch(registry({ tokenStatus: 401 })), endpoints: { "reg.example": "https://reg.example" }, credentials });
      await expect(client.resolveImage(parseReference("reg.example/a:single"))).rejects.toMatchObject({ code: "UNAUTHORIZED", hint });
    }
  });

  it("refuses a platform the index lacks, listing what it has", async () => {
    const client = new RegistryClient({ fetch: fakeFetch(registry()), endpoints: { "reg.example": "https://reg.example" } });
    await expect(client.resolveImage(parseReference("reg.example/a:v1"), { os: "linux", architecture: "s390x" })).rejects.toMatchObject({
      code: "PLATFORM_NOT_AVAILABLE",
      message: "linux/s390x is not available for reg.example/a:v1; it offers linux/amd64, linux/arm64/v8",
    });
  });

  it("names the image that is not found", async () => {
    const client = new RegistryClient({ fetch: fakeFetch(registry()), endpoints: { "reg.example": "https://reg.example" } });
    const resolving = client.resolveImage(parseReference("reg.example/a:v9"));
    await expect(resolving).rejects.toThrow(DockerdlError);
    await expect(resolving).rejects.toMatchObject({ code: "NOT_FOUND", message: "reg.example/a:v9 was not found on reg.example (reg.example said: manifest unknown)" });
  });

  it("refuses a manifest whose bytes do not match the digest the registry gives", async () => {
    const fetch = fakeFetch(() => new Response(manifest as Uint8Array<ArrayBuffer>, { headers: { "content-type": "application/vnd.oci.image.manifest.v1+json", "docker-content-digest": sha("other") } }));
    const client = new RegistryClient({ fetch, endpoints: { "reg.example": "https://reg.example" } });
    const fetching = client.getManifest(parseReference("reg.example/a:v1"), "v1");
    await expect(fetching).rejects.toThrow(DockerdlError);
    await expect(fetching).rejects.toMatchObject({ code: "DIGEST_MISMATCH", message: expect.stringContaining(sha("other")) });
  });

  it("reports rate limiting with the wait from Retry-After", async () => {
    const fetch = fakeFetch(() => new Response("{}", { status: 429, headers: { "retry-after": "7" } }));
    const client = new RegistryClient({ fetch, endpoints: { "reg.example": "https://reg.example" }, retries: 0 });
    const fetching = client.getManifest(parseReference("reg.example/a:v1"), "v1");
    await expect(fetching).rejects.toThrow(RegistryError);
    await expect(fetching).rejects.toMatchObject({ code: "RATE_LIMITED", retryAfterMs: 7000, message: expect.stringContaining("for 7 s") });
  });

  it("retries a 503 on a manifest, then succeeds", async () => {
    let n = 0;
    const inner = registry();
    const client = new RegistryClient({ fetch: fakeFetch((url, init) => (url.pathname.includes("/manifests/") && n++ < 2 ? new Response("{}", { status: 503 }) : inner(url, init))), endpoints: { "reg.example": "https://reg.example" }, retryDelayMs: 1 });
    expect((await client.getManifest(parseReference("reg.example/a:single"), "single")).digest).toBe(sha(manifest));
  });

  it("reports an unreachable registry as a network error with the cause", async () => {
    const fetch = fakeFetch(() => {
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }) });
    });
    const client = new RegistryClient({ fetch, retries: 1, retryDelayMs: 1 });
    const fetching = client.getManifest(parseReference("127.0.0.1:1/a:v1"), "v1");
    await expect(fetching).rejects.toThrow(DockerdlError);
    await expect(fetching).rejects.toMatchObject({
      code: "NETWORK",
      message: "could not reach 127.0.0.1:1 while fetching 127.0.0.1:1/a:v1: fetch failed: connect ECONNREFUSED 127.0.0.1:1",
    });
    expect(fetch.calls).toHaveLength(2); // retried once
  });
});

describe("fetchBlob", () => {
  const ref = parseReference("reg.example/a:v1");
  const descriptor = { digest: sha(layer), size: layer.length, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" };

  it("asks for a Range and returns exactly those bytes", async () => {
    const client = new RegistryClient({ fetch: fakeFetch(registry()), endpoints: { "reg.example": "https://reg.example" } });
    expect(new TextDecoder().decode(await readAll(await client.fetchBlob(ref, descriptor, { start: 6, end: 11 })))).toBe("bytes");
  });

  it("follows a redirect to another origin without the registry's Authorization", async () => {
    const fetch = fakeFetch(registry({ blobRedirect: "https://cdn.example/blob?sig=1" }));
    const client = new RegistryClient({ fetch, endpoints: { "reg.example": "https://reg.example" } });
    expect(await readAll(await client.fetchBlob(ref, descriptor))).toEqual(layer);
    const cdn = fetch.calls.find((c) => c.url.startsWith("https://cdn.example"));
    expect(cdn?.init.headers?.authorization).toBeUndefined();
    expect(cdn?.init.redirect).toBe("manual");
  });

  it("fetches a foreign layer from its URL, unless told to refuse foreign layers", async () => {
    const foreign = { ...descriptor, mediaType: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", urls: ["https://layers.example/l.tar.gz"] };
    const fetched = fakeFetch(() => new Response(layer as Uint8Array<ArrayBuffer>));
    const client = new RegistryClient({ fetch: fetched, endpoints: { "reg.example": "https://reg.example" } });
    expect(await readAll(await client.fetchBlob(ref, foreign))).toEqual(layer);
    expect(fetched.calls.map((c) => c.url)).toEqual(["https://layers.example/l.tar.gz"]);

    const refused = fakeFetch(() => new Response(layer as Uint8Array<ArrayBuffer>));
    const refusing = new RegistryClient({ fetch: refused, endpoints: { "reg.example": "https://reg.example" }, foreignLayers: "refuse" });
    await expect(refusing.fetchBlob(ref, foreign)).rejects.toMatchObject({ code: "FOREIGN_LAYER", message: expect.stringContaining(descriptor.digest) });
    await expect(refusing.checkLayersReadable(ref, [foreign])).rejects.toMatchObject({ code: "FOREIGN_LAYER" });
    expect(refused.calls).toEqual([]);
  });

  it("cuts a registry's whole-blob answer to the range asked for", async () => {
    const stream = new Response(layer as Uint8Array<ArrayBuffer>).body as ReadableStream<Uint8Array>;
    expect(new TextDecoder().decode(await readAll(bodyStream(sliceBody(stream, 6, 5))))).toBe("bytes");
  });

  it("stops a body that goes on past the range, and cancels it to free the connection", async () => {
    let cancelled: unknown = "not cancelled";
    let pulls = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(new TextEncoder().encode("0123456789"));
      },
      cancel(reason) {
        cancelled = reason;
      },
    }, { highWaterMark: 0 });
    const reader = sliceBody(endless, 3, 12).getReader();
    const got: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got.push(new TextDecoder().decode(value));
    }
    expect(got.join("")).toBe("345678901234");
    expect(pulls).toBe(2);
    expect(cancelled).toBeUndefined();
  });

  it("cancels a source known to go on as soon as the slice's last byte is read, for a reader that stops there", async () => {
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode("0123456789"));
      },
      cancel() {
        cancelled = true;
      },
    }, { highWaterMark: 0 });
    const reader = sliceBody(endless, 3, 12, true).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("3456789");
    expect(cancelled).toBe(false);
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("01234");
    expect(cancelled).toBe(true);
  });
});
