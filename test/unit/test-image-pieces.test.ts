// The test-support pieces every suite and the benches build images and push with
// (test/harness/image-pieces.ts, test/harness/registry-push.ts): what they write is what
// dockerdl's own strict parsers accept, and a push asks the registry's API in its order.
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseImageConfig, parseManifest } from "../../shared/manifest.ts";
import { DOCKER_FOREIGN_LAYER_GZIP, DOCKER_MANIFEST_V2, OCI_LAYER, OCI_MANIFEST } from "../../shared/media-types.ts";
import { readTar } from "../../shared/tar-reader.ts";
import { imageConfig, imageManifest, oneFileTar } from "../harness/image-pieces.ts";
import { openPusher, pushBlob, pushManifest } from "../harness/registry-push.ts";

const sha = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
const layer = { digest: sha(new Uint8Array([1])), size: 1 };

describe("imageConfig and imageManifest", () => {
  it("write a config and a Docker manifest (foreign layers too) that the strict parsers accept", () => {
    const config = imageConfig({ diffIds: [layer.digest, layer.digest], platform: { os: "linux", architecture: "arm", variant: "v7" }, config: { Cmd: ["/bin/sh"] }, createdBy: (i) => `step ${i}` });
    const parsed = parseImageConfig(config);
    expect(parsed).toMatchObject({ os: "linux", architecture: "arm", variant: "v7", created: "2024-01-01T00:00:00Z", rootfs: { diff_ids: [layer.digest, layer.digest] } });
    expect(parsed.history).toEqual([{ created: "2024-01-01T00:00:00Z", created_by: "step 0" }, { created: "2024-01-01T00:00:00Z", created_by: "step 1" }]);

    const { mediaType, bytes } = imageManifest("docker", { digest: sha(config), size: config.length }, [layer, { ...layer, urls: ["https://layers.example/l"] }]);
    expect(mediaType).toBe(DOCKER_MANIFEST_V2);
    const manifest = parseManifest(bytes, mediaType);
    expect(manifest.kind).toBe("image");
    if (manifest.kind === "image") expect(manifest.manifest.layers.map((l) => l.mediaType)).toEqual([expect.stringContaining("docker.image.rootfs.diff"), DOCKER_FOREIGN_LAYER_GZIP]);
  });

  it("write an OCI manifest with the layer types given, and a bare config with extra fields", () => {
    const config = imageConfig({ diffIds: [], extra: { author: "test" } });
    expect(JSON.parse(new TextDecoder().decode(config))).toEqual({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, author: "test" });
    const { mediaType, bytes } = imageManifest("oci", { digest: sha(config), size: config.length }, [{ ...layer, mediaType: OCI_LAYER }]);
    expect(mediaType).toBe(OCI_MANIFEST);
    expect(parseManifest(bytes, mediaType)).toMatchObject({ kind: "image", manifest: { layers: [{ mediaType: OCI_LAYER, digest: layer.digest, size: 1 }] } });
  });
});

describe("oneFileTar", () => {
  it("streams a tar of one file that reads back, every byte seen", async () => {
    async function* data() {
      yield new TextEncoder().encode("hello ");
      yield new TextEncoder().encode("world");
    }
    const pieces: Uint8Array[] = [];
    let seen = 0;
    for await (const piece of oneFileTar("greeting.txt", 11, data(), (bytes) => (seen += bytes.length))) pieces.push(piece);
    expect(seen).toBe(pieces.reduce((n, p) => n + p.length, 0));
    expect(seen % 512).toBe(0);
    const items = [];
    for await (const item of readTar((async function* () { yield* pieces; })())) {
      let text = "";
      for await (const chunk of item.body()) text += new TextDecoder().decode(chunk);
      items.push({ name: item.entry.name, size: item.entry.size, text });
    }
    expect(items).toEqual([{ name: "greeting.txt", size: 11, text: "hello world" }]);
  });
});

describe("pushBlob and pushManifest", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("skip a blob the repository holds, else POST for an upload URL and PUT with the digest; then PUT the manifest", async () => {
    const calls: string[] = [];
    const held = new Set<string>();
    vi.stubGlobal("fetch", async (url: string | URL, init: RequestInit) => {
      const target = new URL(url);
      calls.push(`${init.method} ${target.pathname}${target.search}`);
      if (init.method === "HEAD") return new Response(null, { status: held.has(target.pathname) ? 200 : 404 });
      if (init.method === "POST") return new Response(null, { status: 202, headers: { location: "/v2/a/blobs/uploads/u1?state=s" } });
      return new Response(null, { status: 201 });
    });
    const pusher = openPusher("http://registry.test");
    const blob = { digest: layer.digest, bytes: new Uint8Array([1]) };
    await pushBlob(pusher, "a", blob);
    held.add(`/v2/a/blobs/${layer.digest}`);
    await pushBlob(pusher, "a", blob);
    await pushManifest(pusher, "a", "v1", new Uint8Array([123, 125]), OCI_MANIFEST);
    expect(calls).toEqual([
      `HEAD /v2/a/blobs/${layer.digest}`,
      "POST /v2/a/blobs/uploads/",
      `PUT /v2/a/blobs/uploads/u1?state=s&digest=${encodeURIComponent(layer.digest)}`,
      `HEAD /v2/a/blobs/${layer.digest}`,
      "PUT /v2/a/manifests/v1",
    ]);
  });
});
