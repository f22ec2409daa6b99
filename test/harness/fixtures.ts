// The fixture images every suite tests with, pushed to the harness registries through
// the registry's own push API. Names and contents are fixed, so digests are stable.
import { buildImage, buildIndex, noise, type BuiltImage, type BuiltIndex, type FileSpec } from "./image-builder.ts";
import { pushBlob, pushManifest, type Pusher } from "./registry-push.ts";

export interface FixtureImage {
  repository: string;
  tag: string;
  digest: string;
  mediaType: string;
  /** For indexes: each platform's manifest digest, as "os/arch[/variant]". */
  platforms: Record<string, string>;
  layerCount: number;
  private: boolean;
}

function files(name: string, arch: string, extra: FileSpec[] = []): FileSpec[][] {
  return [
    [
      { path: "etc/", type: "directory" },
      { path: "etc/fixture-release", content: `${name} ${arch}\n` },
      { path: "bin/", type: "directory" },
      { path: "bin/hello", content: `#!/bin/sh\necho hello from ${name} on ${arch}\n`, mode: 0o755 },
    ],
    [
      { path: "data/", type: "directory" },
      { path: "data/noise.bin", content: noise(`${name}/${arch}`, 96 * 1024) },
      ...extra,
    ],
  ];
}

function platformKey(p: { os: string; architecture: string; variant?: string }): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/**
 * Layers that add, overwrite, delete (whiteout) and opaque-replace files, with symlinks
 * and a hardlink: the cases a merged filesystem view must get right.
 */
export function whiteoutLayers(): FileSpec[][] {
  return [
    [
      { path: "etc/", type: "directory" },
      { path: "etc/os-release", content: "NAME=fixture\nVERSION=1\n" },
      { path: "etc/keep.conf", content: "keep me\n", mode: 0o600 },
      { path: "etc/remove-me", content: "deleted in layer 2\n" },
      { path: "opt/", type: "directory" },
      { path: "opt/app/", type: "directory" },
      { path: "opt/app/old-1.txt", content: "old one\n" },
      { path: "opt/app/old-2.txt", content: "old two\n" },
      { path: "opt/app/sub/", type: "directory" },
      { path: "opt/app/sub/deep.txt", content: "deep\n" },
      { path: "usr/", type: "directory" },
      { path: "usr/bin/", type: "directory" },
      { path: "usr/bin/tool", content: "#!/bin/sh\necho tool v1\n", mode: 0o755 },
      { path: "var/", type: "directory" },
      { path: "var/cache/", type: "directory" },
      { path: "var/cache/big.bin", content: noise("whiteout/big", 40 * 1024) },
    ],
    [
      { path: "etc/.wh.remove-me" },
      { path: "etc/os-release", content: "NAME=fixture\nVERSION=2\n" },
      { path: "opt/app/.wh..wh..opq" },
      { path: "opt/app/new.txt", content: "replaces the whole folder\n" },
      { path: "usr/bin/tool", content: "#!/bin/sh\necho tool v2\n", mode: 0o750 },
      { path: "usr/bin/tool-link", type: "symlink", linkname: "tool" },
      { path: "usr/bin/tool-hard", type: "hardlink", linkname: "usr/bin/tool" },
      { path: "var/.wh.cache" },
    ],
    [
      { path: "var/cache/", type: "directory", mode: 0o700 },
      { path: "var/cache/fresh.txt", content: "recreated after whiteout\n" },
      { path: "etc/absolute-link", type: "symlink", linkname: "/etc/os-release" },
    ],
  ];
}

export function fixtureDefinitions(): { repository: string; tag: string; built: BuiltImage | BuiltIndex; private?: boolean }[] {
  const multiPlatforms = [
    { os: "linux", architecture: "amd64" },
    { os: "linux", architecture: "arm64", variant: "v8" },
    { os: "linux", architecture: "arm", variant: "v7" },
  ];
  const listPlatforms = [
    { os: "linux", architecture: "amd64" },
    { os: "linux", architecture: "arm64", variant: "v8" },
  ];
  const many: FileSpec[][] = Array.from({ length: 42 }, (_, i) => [
    { path: `layer-${String(i).padStart(2, "0")}.txt`, content: `layer ${i}\n` + "x".repeat(i * 100) },
  ]);
  return [
    { repository: "test/single", tag: "v1", built: buildImage({ layers: files("single", "amd64") }) },
    { repository: "library/hello", tag: "latest", built: buildImage({ oci: true, layers: files("hello", "amd64") }) },
    {
      repository: "test/multi",
      tag: "v1",
      built: buildIndex(multiPlatforms.map((platform) => buildImage({ oci: true, platform, layers: files("multi", platformKey(platform)) })), { oci: true, attestations: true }),
    },
    {
      repository: "test/list",
      tag: "v1",
      built: buildIndex(listPlatforms.map((platform) => buildImage({ platform, layers: files("list", platformKey(platform)) })), { oci: false }),
    },
    { repository: "test/many", tag: "v1", built: buildImage({ layers: many }) },
    { repository: "a/b/c", tag: "v1", built: buildImage({ layers: files("nested", "amd64") }) },
    { repository: "private/secret", tag: "v1", built: buildImage({ layers: files("secret", "amd64") }), private: true },
    { repository: "test/layers", tag: "v1", built: buildImage({ oci: true, layers: whiteoutLayers() }) },
  ];
}

export async function pushFixtures(pusher: Pusher, definitions = fixtureDefinitions()): Promise<FixtureImage[]> {
  const out: FixtureImage[] = [];
  for (const def of definitions) {
    const built = def.built;
    if ("images" in built) {
      for (const image of built.images) await pushImage(pusher, def.repository, image, image.manifest.digest);
      for (const extra of built.extras) await pushBlob(pusher, def.repository, extra);
      for (const m of built.extraManifests) await pushManifest(pusher, def.repository, m.blob.digest, m.blob.bytes, m.mediaType);
      await pushManifest(pusher, def.repository, def.tag, built.manifest.bytes, built.mediaType);
      out.push({
        repository: def.repository,
        tag: def.tag,
        digest: built.manifest.digest,
        mediaType: built.mediaType,
        platforms: Object.fromEntries(built.images.map((i) => [platformKey(i.platform), i.manifest.digest])),
        layerCount: built.images[0]?.layers.length ?? 0,
        private: def.private ?? false,
      });
    } else {
      await pushImage(pusher, def.repository, built, def.tag);
      out.push({
        repository: def.repository,
        tag: def.tag,
        digest: built.manifest.digest,
        mediaType: built.mediaType,
        platforms: { [platformKey(built.platform)]: built.manifest.digest },
        layerCount: built.layers.length,
        private: def.private ?? false,
      });
    }
  }
  return out;
}

export async function pushImage(pusher: Pusher, repository: string, image: BuiltImage, reference: string) {
  for (const layer of image.layers) await pushBlob(pusher, repository, layer);
  await pushBlob(pusher, repository, image.config);
  await pushManifest(pusher, repository, reference, image.manifest.bytes, image.mediaType);
}
