// image-archive.ts: synthetic images (real gzip layers) → plan → bytes → read back with
// Python's tarfile, and loaded by skopeo and podman when they are installed.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { planImageArchive, writePlanToBuffer, type ArchiveImage } from "../../shared/image-archive.ts";
import { assertContiguous, blobSegments, planTar } from "../../shared/tar.ts";
import { podmanLoad } from "../harness/podman.ts";
import { hasTool } from "../harness/tools.ts";

const dir = mkdtempSync(join(tmpdir(), "image-archive-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const utf8 = new TextEncoder();
const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const json = (v: unknown): Uint8Array => utf8.encode(JSON.stringify(v));

const OCI = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
};
const DOCKER = {
  manifest: "application/vnd.docker.distribution.manifest.v2+json",
  config: "application/vnd.docker.container.image.v1+json",
  layer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
};

interface Layer { tar: Uint8Array; gz: Uint8Array; digest: string; diffId: string }

/** A real layer: an uncompressed tar written with our own planner, then gzip. */
function layer(files: Record<string, string>): Layer {
  const tar = writePlanToBuffer(planTar(Object.entries(files).map(([name, text]) => ({ name, bytes: utf8.encode(text) }))), new Map());
  const gz = new Uint8Array(gzipSync(tar));
  return { tar, gz, digest: `sha256:${sha256(gz)}`, diffId: `sha256:${sha256(tar)}` };
}

function image(
  layers: Layer[],
  tags: { repoTags: string[]; imageName?: string; refName?: string },
  types = OCI,
  diffIds = layers.map((l) => l.diffId),
): ArchiveImage {
  const configBytes = json({
    architecture: "amd64",
    os: "linux",
    config: { Cmd: ["/bin/sh"] },
    rootfs: { type: "layers", diff_ids: diffIds },
    history: layers.map(() => ({ created_by: "synthetic" })),
  });
  const config = { bytes: configBytes, digest: `sha256:${sha256(configBytes)}` };
  const manifestBytes = json({
    schemaVersion: 2,
    mediaType: types.manifest,
    config: { mediaType: types.config, digest: config.digest, size: configBytes.length },
    layers: layers.map((l) => ({ mediaType: types.layer, digest: l.digest, size: l.gz.length })),
  });
  return {
    ...tags,
    manifest: { bytes: manifestBytes, digest: `sha256:${sha256(manifestBytes)}`, mediaType: types.manifest },
    config,
    layers: layers.map((l) => ({ digest: l.digest, size: l.gz.length, mediaType: types.layer })),
  };
}

const base = layer({ "etc/os-release": "ID=synthetic\n", "bin/hello": "#!/bin/sh\necho hello\n" });
const app = layer({ "app/main.txt": "app v1\n" });
const tool = layer({ "usr/bin/tool": "tool\n".repeat(300) });
const layersByDigest = new Map([base, app, tool].map((l) => [l.digest, l.gz]));

const appImage = image([base, app], { repoTags: ["example/app:1.0"], imageName: "docker.io/example/app:1.0", refName: "1.0" });
const toolImage = image([base, tool], { repoTags: ["tool:latest", "localhost:5000/tool:v2"], imageName: "localhost:5000/tool:v2", refName: "v2" }, DOCKER);

function write(name: string, images: ArchiveImage[], blobs = layersByDigest): string {
  const file = join(dir, name);
  writeFileSync(file, writePlanToBuffer(planImageArchive(images), blobs));
  return file;
}

interface Member { name: string; size: number; type: string; mode: number; mtime: number; sha256: string | null }
function pythonMembers(file: string): Member[] {
  const script = `
import hashlib, json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    print(json.dumps([{"name": m.name, "size": m.size, "type": m.type.decode(), "mode": m.mode, "mtime": m.mtime,
        "sha256": hashlib.sha256(t.extractfile(m).read()).hexdigest() if m.isfile() else None} for m in t.getmembers()]))`;
  return JSON.parse(execFileSync("python3", ["-c", script, file], { encoding: "utf8" })) as Member[];
}

function member(file: string, name: string): unknown {
  return JSON.parse(execFileSync("tar", ["-xOf", file, name], { encoding: "utf8" }));
}

const hex = (digest: string): string => digest.slice("sha256:".length);

describe("planImageArchive", () => {
  const file = write("bundle.tar", [appImage, toolImage]);
  const members = pythonMembers(file);

  it("lays out directories, blobs sorted by digest, then index.json, manifest.json, oci-layout, repositories", () => {
    const blobHexes = [appImage.config.digest, appImage.manifest.digest, toolImage.config.digest, toolImage.manifest.digest,
      base.digest, app.digest, tool.digest].map(hex).sort();
    expect(members.map((m) => m.name)).toEqual([
      "blobs", "blobs/sha256", ...blobHexes.map((h) => `blobs/sha256/${h}`),
      "index.json", "manifest.json", "oci-layout", "repositories",
    ]);
    for (const m of members) {
      expect(m.mtime).toBe(0);
      expect(m.mode).toBe(m.type === "5" ? 0o755 : 0o644);
    }
  });

  it("stores every blob once, as given, under its own sha256", () => {
    const blobs = members.filter((m) => m.name.startsWith("blobs/sha256/"));
    for (const m of blobs) expect(`blobs/sha256/${m.sha256}`).toBe(m.name);
    const layer = members.find((m) => m.name === `blobs/sha256/${hex(base.digest)}`);
    expect(layer?.size).toBe(base.gz.length);
  });

  it("writes manifest.json for docker load, pointing at blobs that exist", () => {
    const manifest = member(file, "manifest.json") as { Config: string; RepoTags: string[]; Layers: string[] }[];
    expect(manifest).toEqual([
      { Config: `blobs/sha256/${hex(appImage.config.digest)}`, RepoTags: ["example/app:1.0"],
        Layers: [base, app].map((l) => `blobs/sha256/${hex(l.digest)}`) },
      { Config: `blobs/sha256/${hex(toolImage.config.digest)}`, RepoTags: ["tool:latest", "localhost:5000/tool:v2"],
        Layers: [base, tool].map((l) => `blobs/sha256/${hex(l.digest)}`) },
    ]);
    const names = new Set(members.map((m) => m.name));
    for (const entry of manifest) for (const path of [entry.Config, ...entry.Layers]) expect(names.has(path)).toBe(true);
  });

  it("writes an OCI index whose descriptors match the stored manifests", () => {
    const index = member(file, "index.json") as { manifests: { digest: string; size: number }[] };
    expect(index).toEqual({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        { mediaType: OCI.manifest, digest: appImage.manifest.digest, size: appImage.manifest.bytes.length,
          annotations: { "io.containerd.image.name": "docker.io/example/app:1.0", "org.opencontainers.image.ref.name": "1.0" } },
        { mediaType: DOCKER.manifest, digest: toolImage.manifest.digest, size: toolImage.manifest.bytes.length,
          annotations: { "io.containerd.image.name": "localhost:5000/tool:v2", "org.opencontainers.image.ref.name": "v2" } },
      ],
    });
    for (const d of index.manifests) {
      const m = members.find((x) => x.name === `blobs/sha256/${hex(d.digest)}`);
      expect(m?.size).toBe(d.size);
    }
    expect(member(file, "oci-layout")).toEqual({ imageLayoutVersion: "1.0.0" });
  });

  it("writes repositories with sorted keys and each tag's top layer", () => {
    const text = execFileSync("tar", ["-xOf", file, "repositories"], { encoding: "utf8" });
    expect(text).toBe(JSON.stringify({
      "example/app": { "1.0": hex(app.digest) },
      "localhost:5000/tool": { v2: hex(tool.digest) },
      tool: { latest: hex(tool.digest) },
    }));
  });

  it("writes JSON with a fixed key order", () => {
    const one = write("one.tar", [appImage]);
    expect(execFileSync("tar", ["-xOf", one, "manifest.json"], { encoding: "utf8" })).toBe(
      `[{"Config":"blobs/sha256/${hex(appImage.config.digest)}","RepoTags":["example/app:1.0"],` +
      `"Layers":["blobs/sha256/${hex(base.digest)}","blobs/sha256/${hex(app.digest)}"]}]`,
    );
  });

  it("leaves out annotations and repositories for an untagged image", () => {
    const untagged = write("untagged.tar", [{ ...appImage, repoTags: [], imageName: undefined, refName: undefined }]);
    expect(pythonMembers(untagged).map((m) => m.name).slice(-3)).toEqual(["index.json", "manifest.json", "oci-layout"]);
    const index = member(untagged, "index.json") as { manifests: object[] };
    expect(Object.keys(index.manifests[0])).toEqual(["mediaType", "digest", "size"]);
  });

  it("keys blobs by layer digest, each placed once at a known offset", () => {
    const plan = planImageArchive([appImage, toolImage]);
    assertContiguous(plan);
    expect(blobSegments(plan).map((s) => s.key).sort()).toEqual([base.digest, app.digest, tool.digest].sort());
  });

  it("gives the same bytes every time; image order changes only the lists in index.json and manifest.json", () => {
    const once = writePlanToBuffer(planImageArchive([appImage, toolImage]), layersByDigest);
    const again = writePlanToBuffer(planImageArchive([appImage, toolImage]), layersByDigest);
    expect(again).toEqual(once);
    const reversed = write("reversed.tar", [toolImage, appImage]);
    const reversedMembers = pythonMembers(reversed);
    expect(reversedMembers.filter((m) => m.name.startsWith("blobs"))).toEqual(members.filter((m) => m.name.startsWith("blobs")));
    expect(member(reversed, "manifest.json")).toEqual((member(file, "manifest.json") as unknown[]).toReversed());
    expect(member(reversed, "repositories")).toEqual(member(file, "repositories"));
  });

  it.each<[string, ArchiveImage[]]>([
    ["no images", []],
    ["a non-sha256 digest", [{ ...appImage, layers: [{ ...appImage.layers[0], digest: "sha512:abc" }] }]],
    ["a repo tag without a tag", [{ ...appImage, repoTags: ["example/app"] }]],
    ["a repo tag with a digest", [{ ...appImage, repoTags: [`example/app@${app.digest}`] }]],
    ["one layer digest with two sizes", [appImage, { ...toolImage, layers: [{ ...toolImage.layers[0], size: 1 }] }]],
    // docker load would tag the second and leave the first without a name (bundle-names.ts words it for people).
    ["two images under one repo tag", [appImage, { ...toolImage, repoTags: ["example/app:1.0"] }]],
  ])("rejects %s", (_what, images) => {
    expect(() => planImageArchive(images)).toThrow(RangeError);
  });
});

const skopeo = hasTool("skopeo");
const podman = hasTool("podman");
if (!skopeo) console.warn("skipping skopeo load tests: skopeo is not on PATH");
if (!podman) console.warn("skipping podman load tests: podman is not on PATH");

function skopeoCopy(source: string, target: string): void {
  execFileSync("skopeo", ["--insecure-policy", "copy", "--quiet", source, `oci:${target}`], { stdio: "pipe" });
}

describe.skipIf(!skopeo)("skopeo reads the file (it checks diff_ids)", () => {
  it("copies each image of a bundle from docker-archive, which checks layers against diff_ids", () => {
    const file = write("skopeo.tar", [appImage, toolImage]);
    for (const [i, expected] of [appImage, toolImage].entries()) {
      const out = join(dir, `skopeo-docker-${i}`);
      skopeoCopy(`docker-archive:${file}:@${i}`, out);
      const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8")) as { manifests: { digest: string }[] };
      const manifest = JSON.parse(readFileSync(join(out, "blobs/sha256", hex(index.manifests[0].digest)), "utf8")) as { config: { digest: string } };
      expect(manifest.config.digest).toBe(expected.config.digest);
    }
  });

  it("copies from the same file read as an OCI archive, by ref name", () => {
    const file = write("skopeo-oci.tar", [appImage, toolImage]);
    const out = join(dir, "skopeo-oci");
    // skopeo 1.9's OCI reader looks only at OCI-typed descriptors, hence the OCI image.
    skopeoCopy(`oci-archive:${file}:1.0`, out);
    const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    // The manifest travels byte for byte, so its digest survives the copy.
    expect(index.manifests[0].digest).toBe(appImage.manifest.digest);
  });

  it("refuses an image whose config's diff_ids do not match its layers (so the checks above mean something)", () => {
    const wrong = image([base, app], { repoTags: ["bad:1"] }, OCI, [base.diffId, tool.diffId]);
    const file = write("skopeo-bad.tar", [wrong]);
    expect(() => skopeoCopy(`docker-archive:${file}`, join(dir, "skopeo-bad"))).toThrow();
  });
});

describe.skipIf(!podman)("podman loads the file", () => {
  it("loads a two-image bundle into a fresh store and lists its tags", () => {
    const file = write("podman.tar", [appImage, toolImage]);
    const store = mkdtempSync(join(dir, "podman-"));
    // Everything podman keeps (store, state, temp files, events) lives under the temp dir,
    // so this touches no shared state and cleaning up is deleting the dir.
    const args = ["--root", join(store, "root"), "--runroot", join(store, "run"), "--tmpdir", join(store, "tmp"),
      "--storage-driver", "vfs", "--events-backend", "none"];
    try {
      execFileSync("podman", [...args, "load", "-i", file], { stdio: "pipe" });
      const listed = execFileSync("podman", [...args, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"], { encoding: "utf8" });
      // podman reads RepoTags from manifest.json and qualifies short names with localhost/.
      const appId = hex(appImage.config.digest).slice(0, 12);
      const toolId = hex(toolImage.config.digest).slice(0, 12);
      expect(new Set(listed.trim().split("\n"))).toEqual(new Set([
        `localhost/example/app:1.0 ${appId}`, `localhost/tool:latest ${toolId}`, `localhost:5000/tool:v2 ${toolId}`,
      ]));
    } finally {
      rmSync(store, { recursive: true, force: true });
    }
  }, 60_000);

  it("names an image the same alone and in a bundle when its RepoTag is in full, as reference.ts writes it", async () => {
    // Alone, podman reads the OCI index (io.containerd.image.name); in a bundle, manifest.json's RepoTags.
    const full = { ...appImage, repoTags: ["docker.io/example/app:1.0"] };
    const alone = await podmanLoad(write("podman-alone.tar", [full]));
    const bundled = await podmanLoad(write("podman-bundled.tar", [full, { ...toolImage, repoTags: ["docker.io/library/tool:latest"] }]));
    expect(alone.images.map((i) => i.name)).toEqual(["docker.io/example/app:1.0"]);
    expect(bundled.images.map((i) => i.name).sort()).toEqual(["docker.io/example/app:1.0", "docker.io/library/tool:latest"]);
  }, 60_000);
});
