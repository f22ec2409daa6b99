// The explore view's pure parts: `ls -l` modes, the tree's children and folder sizes,
// path search with the folders leading to each match (on the whiteout fixture, merged
// by shared/rootfs.ts), and the message for a layer the browser cannot decompress.
import { describe, expect, it } from "vitest";
import type { ResolvedImage } from "../../shared/registry/client.ts";
import { MergedFs } from "../../shared/rootfs.ts";
import { readTar, type TarReadEntry } from "../../shared/tar-reader.ts";
import { checkLayersDecompressible, zstdSupported } from "../../web/workers/explore/layer-source.ts";
import { TreeIndex, treeOrder, within } from "../../web/workers/explore/tree-index.ts";
import { formatMode } from "../../web/page/explore/mode.ts";
import { whiteoutLayers } from "../harness/fixtures.ts";
import { buildImage } from "../harness/image-builder.ts";

async function fixtureTree(): Promise<TreeIndex> {
  const image = buildImage({ oci: true, layers: whiteoutLayers() });
  const fs = new MergedFs();
  for (const [index, layer] of image.layers.entries()) {
    const stream = new Blob([layer.bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
    const entries: TarReadEntry[] = [];
    for await (const { entry } of readTar(stream)) entries.push(entry);
    fs.applyLayer(index, entries);
  }
  return new TreeIndex(fs);
}

describe("modes as ls -l shows them", () => {
  it.each([
    ["file", 0o755, "-rwxr-xr-x"],
    ["file", 0o644, "-rw-r--r--"],
    ["directory", 0o700, "drwx------"],
    ["symlink", 0o777, "lrwxrwxrwx"],
    ["file", 0o4755, "-rwsr-xr-x"],
    ["file", 0o2644, "-rw-r-Sr--"],
    ["directory", 0o1777, "drwxrwxrwt"],
    ["directory", 0o1770, "drwxrwx--T"],
    ["hardlink", 0o600, "-rw-------"],
  ] as const)("%s %o is %s", (type, mode, shown) => {
    expect(formatMode(type, mode)).toBe(shown);
  });
});

describe("the tree of a merged filesystem", () => {
  it("lists a folder's children, folders first, with the layer each comes from (1-based)", async () => {
    const tree = await fixtureTree();
    expect(tree.children("").map((n) => n.path)).toEqual(["etc", "opt", "usr", "var"]);
    const etc = tree.children("etc");
    expect(etc.map((n) => n.path)).toEqual(["etc/absolute-link", "etc/keep.conf", "etc/os-release"]);
    expect(etc.find((n) => n.path === "etc/os-release")).toMatchObject({ type: "file", layer: 2, size: 23 });
    expect(tree.children("opt/app").map((n) => n.path)).toEqual(["opt/app/new.txt"]);
    expect(tree.children("usr/bin").find((n) => n.path === "usr/bin/tool-hard")).toMatchObject({ type: "hardlink", linkname: "usr/bin/tool", mode: 0o750 });
  });

  it("sizes folders by the files below them and counts what an export reads", async () => {
    const tree = await fixtureTree();
    const etc = tree.children("").find((n) => n.path === "etc")!;
    expect(etc.size).toBe("keep me\n".length + "NAME=fixture\nVERSION=2\n".length);
    expect(tree.bytesUnder("usr", false)).toBe("#!/bin/sh\necho tool v2\n".length);
    expect(tree.bytesUnder("usr", true)).toBe(2 * "#!/bin/sh\necho tool v2\n".length);
    expect(tree.fileBytes).toBe(tree.bytesUnder("", true));
  });

  it("finds paths case-insensitively, with the folders that lead to each match, in tree order", async () => {
    const tree = await fixtureTree();
    const result = tree.search("/VAR/cache/FRESH", 10);
    expect(result.nodes.map((n) => n.path)).toEqual(["var", "var/cache", "var/cache/fresh.txt"]);
    expect(result.matches).toEqual(["var/cache/fresh.txt"]);
    const tool = tree.search("tool", 2);
    expect(tool).toMatchObject({ total: 3, truncated: true });
    expect(tool.matches).toHaveLength(2);
    expect(tree.search("  ", 10).nodes).toEqual([]);
    expect(tree.search("remove-me", 10).total).toBe(0);
  });

  it("orders a folder's contents before its next sibling and knows what a subtree holds", () => {
    expect(["a-b", "a/c", "a"].sort(treeOrder)).toEqual(["a", "a/c", "a-b"]);
    expect(within("opt/app/new.txt", "opt")).toBe(true);
    expect(within("optional", "opt")).toBe(false);
    expect(within("anything", "")).toBe(true);
  });
});

describe("layers the browser cannot read", () => {
  it("names a zstd layer before anything is downloaded, when zstd cannot be decompressed", () => {
    const image = {
      layers: [
        { digest: "sha256:" + "a".repeat(64), size: 1, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" },
        { digest: "sha256:" + "b".repeat(64), size: 1, mediaType: "application/vnd.oci.image.layer.v1.tar+zstd" },
      ],
    } as unknown as ResolvedImage;
    if (zstdSupported()) expect(() => checkLayersDecompressible(image)).not.toThrow();
    else expect(() => checkLayersDecompressible(image)).toThrow(`layer 2 (sha256:${"b".repeat(64)}) is compressed with zstd, which this browser cannot decompress`);
  });
});
