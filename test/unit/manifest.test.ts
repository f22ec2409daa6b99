// Manifests, indexes and configs: real-shaped documents parse, every malformed field is
// refused with a message naming it, and schema 1 and foreign layers get their own errors.
import { describe, expect, it } from "vitest";
import { DockerdlError } from "../../shared/errors.ts";
import {
  checkConfigMatchesManifest,
  foreignLayerUrls,
  parseImageConfig,
  parseManifest,
  type Descriptor,
  type ImageManifest,
} from "../../shared/manifest.ts";
import {
  DOCKER_CONFIG,
  DOCKER_FOREIGN_LAYER_GZIP,
  DOCKER_LAYER_GZIP,
  DOCKER_MANIFEST_LIST,
  DOCKER_MANIFEST_SCHEMA1_SIGNED,
  DOCKER_MANIFEST_V2,
  MANIFEST_ACCEPT,
  OCI_CONFIG,
  OCI_INDEX,
  OCI_LAYER,
  OCI_LAYER_GZIP,
  OCI_LAYER_ZSTD,
  OCI_MANIFEST,
  OCI_NONDISTRIBUTABLE_LAYER_ZSTD,
  isForeignLayer,
  layerCompression,
} from "../../shared/media-types.ts";

const d = (c: string) => `sha256:${c.repeat(64)}`;
const encode = (value: unknown) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));

function dockerManifest(overrides: Record<string, unknown> = {}) {
  return {
    schemaVersion: 2,
    mediaType: DOCKER_MANIFEST_V2,
    config: { mediaType: DOCKER_CONFIG, size: 1469, digest: d("1") },
    layers: [
      { mediaType: DOCKER_LAYER_GZIP, size: 29754290, digest: d("2") },
      { mediaType: DOCKER_LAYER_GZIP, size: 0, digest: d("3") },
    ],
    ...overrides,
  };
}

const hubIndex = {
  schemaVersion: 2,
  mediaType: OCI_INDEX,
  manifests: [
    { mediaType: OCI_MANIFEST, digest: d("a"), size: 1055, platform: { architecture: "amd64", os: "linux" },
      annotations: { "org.opencontainers.image.revision": "abc" } },
    { mediaType: OCI_MANIFEST, digest: d("b"), size: 1055, platform: { architecture: "arm64", os: "linux", variant: "v8" } },
    { mediaType: OCI_MANIFEST, digest: d("c"), size: 839, platform: { architecture: "unknown", os: "unknown" },
      annotations: { "vnd.docker.reference.digest": d("a"), "vnd.docker.reference.type": "attestation-manifest" } },
  ],
};

/** Matches a message that begins with `prefix` (the rest quotes the JSON parser's own words). */
function startingWith(prefix: string) {
  const escaped = prefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return expect.stringMatching(new RegExp(`^${escaped}`));
}

describe("media types", () => {
  it("asks for every manifest type a registry may hold, indexes first", () => {
    expect(MANIFEST_ACCEPT).toBe(`${OCI_INDEX}, ${DOCKER_MANIFEST_LIST}, ${OCI_MANIFEST}, ${DOCKER_MANIFEST_V2}`);
  });

  it("knows each layer's compression and whether registries may hold it", () => {
    expect(layerCompression(DOCKER_LAYER_GZIP)).toBe("gzip");
    expect(layerCompression(OCI_LAYER)).toBe("none");
    expect(layerCompression(OCI_LAYER_GZIP)).toBe("gzip");
    expect(layerCompression(OCI_LAYER_ZSTD)).toBe("zstd");
    expect(layerCompression(OCI_NONDISTRIBUTABLE_LAYER_ZSTD)).toBe("zstd");
    expect(isForeignLayer(DOCKER_FOREIGN_LAYER_GZIP)).toBe(true);
    expect(isForeignLayer(OCI_NONDISTRIBUTABLE_LAYER_ZSTD)).toBe(true);
    expect(isForeignLayer(OCI_LAYER_GZIP)).toBe(false);
    expect(() => layerCompression("text/plain")).toThrow('"text/plain" is not a container image layer media type');
  });
});

describe("parseManifest", () => {
  it("reads a Docker v2 image manifest", () => {
    const parsed = parseManifest(encode(dockerManifest()), `${DOCKER_MANIFEST_V2}; charset=utf-8`);
    expect(parsed.kind).toBe("image");
    expect(parsed.mediaType).toBe(DOCKER_MANIFEST_V2);
    if (parsed.kind === "image") expect(parsed.manifest.layers.map((l) => l.size)).toEqual([29754290, 0]);
  });

  it("reads an OCI index with attestations, keeping platforms and annotations", () => {
    const parsed = parseManifest(encode(hubIndex), OCI_INDEX);
    expect(parsed.kind).toBe("index");
    if (parsed.kind === "index") {
      expect(parsed.index.manifests).toHaveLength(3);
      expect(parsed.index.manifests[1]?.platform).toEqual({ architecture: "arm64", os: "linux", variant: "v8" });
    }
  });

  it("reads a Docker manifest list", () => {
    const list = { ...hubIndex, mediaType: DOCKER_MANIFEST_LIST, manifests: hubIndex.manifests.map((m) => ({ ...m, mediaType: DOCKER_MANIFEST_V2 })) };
    expect(parseManifest(encode(list), DOCKER_MANIFEST_LIST)).toMatchObject({ kind: "index", mediaType: DOCKER_MANIFEST_LIST });
  });

  it("tells the type from the JSON when the registry sends a generic content type, or none", () => {
    expect(parseManifest(encode(dockerManifest()), "application/json").mediaType).toBe(DOCKER_MANIFEST_V2);
    const { mediaType: _omitted, ...ociIndex } = hubIndex;
    expect(parseManifest(encode(ociIndex)).mediaType).toBe(OCI_INDEX);
    const ociManifest = { schemaVersion: 2, config: { mediaType: OCI_CONFIG, size: 2, digest: d("1") }, layers: [] };
    expect(parseManifest(encode(ociManifest), "application/octet-stream")).toMatchObject({ kind: "image", mediaType: OCI_MANIFEST });
  });

  it("accepts an image with no layers", () => {
    const parsed = parseManifest(encode(dockerManifest({ layers: [] })));
    expect(parsed.kind === "image" && parsed.manifest.layers).toEqual([]);
  });

  it("refuses schema 1 with its own error, however it is labelled", () => {
    const schema1 = { schemaVersion: 1, name: "library/old", tag: "1", fsLayers: [], history: [], signatures: [] };
    for (const parse of [
      () => parseManifest(encode(schema1), DOCKER_MANIFEST_SCHEMA1_SIGNED),
      () => parseManifest(encode(schema1)),
      () => parseManifest(encode(dockerManifest()), DOCKER_MANIFEST_SCHEMA1_SIGNED),
    ]) {
      expect(parse).toThrow(DockerdlError);
      expect(parse).toThrow(expect.objectContaining({
        code: "UNSUPPORTED_SCHEMA1",
        message: "this image uses the obsolete Docker manifest schema 1 format, which docker itself no longer pulls",
        hint: expect.stringContaining("push it again with a current docker"),
      }));
    }
  });

  const bad: [string, string | Uint8Array, string | undefined, string][] = [
    ["not JSON", "{not json", undefined, "the manifest is not valid JSON ("],
    ["not UTF-8", new Uint8Array([0x7b, 0xff, 0x7d]), undefined, "the manifest is not valid JSON ("],
    ["an array", "[]", undefined, "the manifest is not a JSON object"],
    ["schemaVersion 3", JSON.stringify(dockerManifest({ schemaVersion: 3 })), undefined,
      "the manifest has schemaVersion 3; only schemaVersion 2 (Docker v2 and OCI) is supported"],
    ["no schemaVersion", JSON.stringify(dockerManifest({ schemaVersion: undefined })), undefined,
      "the manifest has schemaVersion undefined; only schemaVersion 2 (Docker v2 and OCI) is supported"],
    ["an artifact manifest", JSON.stringify(dockerManifest({ mediaType: "application/vnd.oci.artifact.manifest.v1+json" })), undefined,
      'the manifest\'s media type is "application/vnd.oci.artifact.manifest.v1+json", which is not a container image manifest or index'],
    ["a header disagreeing with the JSON", JSON.stringify(dockerManifest()), OCI_INDEX,
      `the registry sent the manifest as ${OCI_INDEX}, but the manifest says it is ${DOCKER_MANIFEST_V2}`],
    ["no recognisable shape", JSON.stringify({ schemaVersion: 2 }), undefined,
      "the manifest is neither an image manifest (config and layers) nor an index (manifests)"],
    ["an index without manifests", JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX }), undefined, "the index has no manifests list"],
    ["a sha512 digest", JSON.stringify(dockerManifest({ config: { mediaType: DOCKER_CONFIG, size: 1, digest: `sha512:${"a".repeat(128)}` } })), undefined,
      `config has digest "sha512:${"a".repeat(128)}", which is not valid: the "sha512" algorithm is not supported; only sha256 digests are`],
    ["a short digest", JSON.stringify({ ...hubIndex, manifests: [{ mediaType: OCI_MANIFEST, size: 1, digest: "sha256:abc" }] }), undefined,
      'manifests[0] has digest "sha256:abc", which is not valid: the part after sha256: must be 64 hex characters, not 3'],
    ["a negative size", JSON.stringify(dockerManifest({ layers: [{ mediaType: DOCKER_LAYER_GZIP, size: -1, digest: d("2") }] })), undefined,
      `layers[0] (${d("2")}) has size -1; a size must be a whole number of bytes, 0 or more`],
    ["a fractional size", JSON.stringify(dockerManifest({ layers: [{ mediaType: DOCKER_LAYER_GZIP, size: 1.5, digest: d("2") }] })), undefined,
      `layers[0] (${d("2")}) has size 1.5; a size must be a whole number of bytes, 0 or more`],
    ["an unsafe size", JSON.stringify(dockerManifest({ layers: [{ mediaType: DOCKER_LAYER_GZIP, size: 2 ** 53, digest: d("2") }] })), undefined,
      `layers[0] (${d("2")}) has size 9007199254740992; a size must be a whole number of bytes, 0 or more`],
    ["a string size", JSON.stringify(dockerManifest({ layers: [{ mediaType: DOCKER_LAYER_GZIP, size: "5", digest: d("2") }] })), undefined,
      `layers[0] (${d("2")}) has size "5"; a size must be a whole number of bytes, 0 or more`],
    ["no config", JSON.stringify(dockerManifest({ config: undefined })), undefined, "config is missing or not an object"],
    ["a Helm chart", JSON.stringify(dockerManifest({ config: { mediaType: "application/vnd.cncf.helm.config.v1+json", size: 1, digest: d("1") } })),
      undefined, 'the manifest\'s config has media type "application/vnd.cncf.helm.config.v1+json", so it is not a container image'],
    ["an unknown layer type", JSON.stringify(dockerManifest({ layers: [dockerManifest().layers[0], { mediaType: "application/x-tar", size: 1, digest: d("4") }] })),
      undefined, `layer 2 of 2 (${d("4")}) has media type "application/x-tar", which is not a container image layer`],
    ["no layers list", JSON.stringify(dockerManifest({ layers: undefined })), undefined, "the manifest has no layers list"],
    ["a layer without mediaType", JSON.stringify(dockerManifest({ layers: [{ size: 1, digest: d("2") }] })), undefined, "layers[0] has no mediaType"],
    ["a Docker manifest without its mediaType", JSON.stringify(dockerManifest({ mediaType: undefined })), DOCKER_MANIFEST_V2,
      "the Docker v2 manifest has no mediaType field"],
    ["a non-http URL", JSON.stringify(dockerManifest({ layers: [{ mediaType: DOCKER_FOREIGN_LAYER_GZIP, size: 1, digest: d("2"), urls: ["file:///etc/passwd"] }] })),
      undefined, `layers[0] (${d("2")}) has urls that are not all http or https URLs`],
    ["non-string annotations", JSON.stringify(dockerManifest({ annotations: { a: 1 } })), undefined, "the manifest has annotations that are not all strings"],
    ["a platform without os", JSON.stringify({ ...hubIndex, manifests: [{ ...hubIndex.manifests[0], platform: { architecture: "amd64" } }] }), undefined,
      `manifests[0] (${d("a")}) has a platform that is not an object with string os and architecture`],
    ["a platform whose os holds CR/LF", JSON.stringify({ ...hubIndex, manifests: [{ ...hubIndex.manifests[0], platform: { architecture: "amd64", os: "linux\r\nx-injected: 1" } }] }), undefined,
      `manifests[0] (${d("a")}) has a platform whose os "linux\\r\\nx-injected: 1" is not a platform name`],
  ];

  it.each(bad)("refuses %s, naming the field", (_name, body, contentType, message) => {
    const parse = () => parseManifest(typeof body === "string" ? encode(body) : body, contentType);
    expect(parse).toThrow(DockerdlError);
    expect(parse).toThrow(expect.objectContaining({ code: "BAD_MANIFEST", message: startingWith(message), hint: expect.stringMatching(/./) }));
  });
});

describe("image config", () => {
  const config = {
    architecture: "arm64",
    variant: "v8",
    os: "linux",
    config: { Env: ["PATH=/usr/bin"], Cmd: ["/bin/bash"] },
    rootfs: { type: "layers", diff_ids: [d("5"), d("6")] },
    history: [{ created: "2024-01-01T00:00:00Z", created_by: "ADD file" }, { created_by: "CMD", empty_layer: true }],
  };

  it("reads a real-shaped config and checks it against its manifest", () => {
    const parsed = parseImageConfig(encode(config));
    expect(parsed.rootfs.diff_ids).toHaveLength(2);
    expect(parsed.config).toEqual(config.config);
    const manifest = parseManifest(encode(dockerManifest()));
    expect(manifest.kind).toBe("image");
    checkConfigMatchesManifest(parsed, (manifest as { manifest: ImageManifest }).manifest);
  });

  it("refuses a config whose layer count differs from the manifest's", () => {
    const parsed = parseImageConfig(encode({ ...config, rootfs: { type: "layers", diff_ids: [d("5")] } }));
    const manifest = dockerManifest() as unknown as ImageManifest;
    const check = () => checkConfigMatchesManifest(parsed, manifest);
    expect(check).toThrow(DockerdlError);
    expect(check).toThrow(expect.objectContaining({
      code: "BAD_MANIFEST",
      message: "the image config lists 1 layer (rootfs.diff_ids) but the manifest has 2; the image is broken",
    }));
  });

  it.each([
    ["no architecture", { ...config, architecture: undefined }, "the image config has no architecture"],
    ["no os", { ...config, os: "" }, "the image config has no os"],
    ["no rootfs", { ...config, rootfs: undefined }, 'the image config has no rootfs of type "layers" with a diff_ids list'],
    ["a bad diff_id", { ...config, rootfs: { type: "layers", diff_ids: [d("5"), "sha256:x"] } },
      "the image config's rootfs.diff_ids[1] is not a valid digest: the part after sha256: must be hex characters (0-9, a-f)"],
    ["a history that is not a list", { ...config, history: {} }, "the image config's history is not a list"],
    ["CR/LF in its os", { ...config, os: "linux\r\nx-injected: 1" }, 'the image config\'s os "linux\\r\\nx-injected: 1" is not a platform name'],
    ["a space in its architecture", { ...config, architecture: "amd 64" }, 'the image config\'s architecture "amd 64" is not a platform name'],
    ["a newline in its variant", { ...config, variant: "v7\n" }, 'the image config\'s variant "v7\\n" is not a platform name'],
    ["a control character in its os.version", { ...config, "os.version": "10.0\u0000" }, 'the image config\'s os.version "10.0\\u0000" is not a platform name'],
  ])("refuses a config with %s", (_name, value, message) => {
    const parse = () => parseImageConfig(encode(value));
    expect(parse).toThrow(DockerdlError);
    expect(parse).toThrow(expect.objectContaining({ code: "BAD_MANIFEST", message }));
  });

  it("takes real platform spellings: an empty variant, a Windows build, arm64/v8", () => {
    expect(() => parseImageConfig(encode({ ...config, variant: "" }))).not.toThrow();
    expect(() => parseImageConfig(encode({ ...config, os: "windows", "os.version": "10.0.17763.1234" }))).not.toThrow();
    expect(() => parseImageConfig(encode({ ...config, architecture: "arm64", variant: "v8" }))).not.toThrow();
  });

  it("refuses a config that is not JSON", () => {
    const parse = () => parseImageConfig(encode("nope"));
    expect(parse).toThrow(DockerdlError);
    expect(parse).toThrow(expect.objectContaining({ message: startingWith("the image config is not valid JSON") }));
  });
});

describe("foreign layers", () => {
  const layer = (mediaType: string, urls?: string[]): Descriptor => ({ mediaType, size: 1, digest: d("7"), ...(urls && { urls }) });

  it("come from the manifest's URLs when it gives them", () => {
    const urls = ["https://mcr.microsoft.com/v2/windows/servercore/blobs/sha256:7777"];
    expect(foreignLayerUrls(layer(DOCKER_FOREIGN_LAYER_GZIP, urls))).toEqual(urls);
  });

  it("are an error, naming the layer, when it gives none", () => {
    for (const l of [layer(DOCKER_FOREIGN_LAYER_GZIP), layer(OCI_NONDISTRIBUTABLE_LAYER_ZSTD, [])]) {
      const urls = () => foreignLayerUrls(l);
      expect(urls).toThrow(DockerdlError);
      expect(urls).toThrow(expect.objectContaining({ code: "FOREIGN_LAYER", message: expect.stringContaining(`layer ${d("7")} is a foreign (non-distributable) layer`) }));
      expect(urls).toThrow("the registry does not hold it");
    }
  });

  it("do not concern ordinary layers, even with URLs", () => {
    expect(foreignLayerUrls(layer(OCI_LAYER_GZIP, ["https://example.com/x"]))).toBeUndefined();
  });
});
