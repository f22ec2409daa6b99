// The merged filesystem view (tar-reader + rootfs) against umoci's unpack of the same
// image: same paths, types, sizes, permission bits, link targets and contents.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { flatTar, flattenLayers, type LayerEntries } from "../../shared/flatten.ts";
import { MergedFs, normalizeTarPath } from "../../shared/rootfs.ts";
import { readTar, type TarReadEntry, type TarReadItem } from "../../shared/tar-reader.ts";
import { test } from "../harness/fixtures-vitest.ts";
import { layersTopDown, readLayer, type Blob as LayerBlob } from "../harness/image-builder.ts";
import { haveUmoci, sorted, walk, type Snapshot } from "../harness/rootfs-snapshot.ts";

/** The merged tree in the harness's snapshot shape, with each file's content hash. */
async function mergeLayers(layers: LayerBlob[]): Promise<Snapshot> {
  const fs = new MergedFs();
  const contents = new Map<string, string>(); // `${layer}:${path}` -> sha256
  for (const [index, layer] of layers.entries()) {
    const entries: TarReadEntry[] = [];
    for await (const { entry, body } of readLayer(layer)) {
      entries.push(entry);
      if (entry.type === "file") {
        const hash = createHash("sha256");
        for await (const chunk of body()) hash.update(chunk);
        contents.set(`${index}:${normalizeTarPath(entry.name)}`, hash.digest("hex"));
      }
    }
    fs.applyLayer(index, entries);
  }
  const out: Snapshot = {};
  for (const node of fs.list()) {
    // A hardlink is its target's inode: same mode, size and content.
    const file = node.type === "hardlink" ? fs.get(node.linkname!)! : node;
    if (node.type === "directory") out[node.path] = { type: "directory", mode: node.mode & 0o7777 };
    else if (node.type === "symlink") out[node.path] = { type: "symlink", mode: 0o777, target: node.linkname };
    else out[node.path] = { type: "file", mode: file.mode & 0o7777, size: file.size, sha256: contents.get(`${file.layer}:${file.path}`) };
  }
  return out;
}

describe("the merged filesystem of an image", () => {
  test.skipIf(!haveUmoci)("equals what umoci unpacks: adds, overwrites, whiteouts, opaque dirs, links", async ({ layersUnpacked: { image, expected } }) => {
    const actual = await mergeLayers(image.layers);
    expect(sorted(actual)).toEqual(sorted(expected));
    // The cases this fixture exists for, spelled out so a failure reads clearly.
    expect(actual["etc/remove-me"]).toBeUndefined();
    expect(actual["opt/app/old-1.txt"]).toBeUndefined();
    expect(actual["opt/app/sub"]).toBeUndefined();
    expect(actual["opt/app/new.txt"]).toBeDefined();
    expect(actual["var/cache/big.bin"]).toBeUndefined();
    expect(actual["var/cache"]?.mode).toBe(0o700);
  });

  test.skipIf(!haveUmoci)("exports as a flat tar that extracts to what umoci unpacks", async ({ tempDir, layersUnpacked: { image, expected } }) => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of flatTar(flattenLayers(layersTopDown(image)))) chunks.push(chunk);
    const tarFile = join(tempDir, "flat.tar");
    writeFileSync(tarFile, Buffer.concat(chunks));
    const out = join(tempDir, "flat-out");
    mkdirSync(out);
    execFileSync("tar", ["-xpf", tarFile, "-C", out, "--no-same-owner"], { stdio: "pipe" });
    expect(sorted(walk(out))).toEqual(sorted(expected));
  });

  it("reads PAX long names and GNU long names", async () => {
    const { tarHeader, tarPadding, TAR_END } = await import("../../shared/tar-header.ts");
    const long = "d/".repeat(80) + "file-with-a-long-name.txt";
    const data = new TextEncoder().encode("hello");
    const gnuName = "g/".repeat(70) + "gnu.txt";
    const gnuNameBytes = new TextEncoder().encode(gnuName + "\0");
    const gnuHeader = tarHeader({ name: "././@LongLink", size: gnuNameBytes.length });
    gnuHeader[156] = "L".charCodeAt(0);
    // Fix the checksum after changing the typeflag.
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : gnuHeader[i];
    gnuHeader.set(new TextEncoder().encode(sum.toString(8).padStart(6, "0") + "\0 "), 148);
    const parts = [
      tarHeader({ name: long, size: data.length }), data, new Uint8Array(tarPadding(data.length)),
      gnuHeader, gnuNameBytes, new Uint8Array(tarPadding(gnuNameBytes.length)),
      tarHeader({ name: "truncated-gnu-name", size: 0 }),
      TAR_END,
    ];
    const names: string[] = [];
    async function* source() {
      for (const p of parts) yield p;
    }
    for await (const { entry, body } of readTar(source())) {
      names.push(entry.name);
      if (entry.name === long) {
        const chunks: Uint8Array[] = [];
        for await (const c of body()) chunks.push(c);
        expect(new TextDecoder().decode(Buffer.concat(chunks))).toBe("hello");
      }
    }
    expect(names).toEqual([long, gnuName]);
  });

  it("rejects input that is not a tar archive with a clear message", async () => {
    async function* source() {
      yield new TextEncoder().encode("not a tar ".repeat(100));
    }
    await expect(async () => {
      for await (const item of readTar(source())) void item;
    }).rejects.toThrow(/bad checksum/);
  });
});

describe("entries below a symlink (esc -> /outside, then esc/x.txt)", () => {
  const entry = (name: string, type: TarReadEntry["type"], linkname = ""): TarReadEntry => ({ name, type, size: 0, mode: type === "directory" ? 0o755 : 0o644, mtime: 0, uid: 0, gid: 0, linkname });
  const escape = [entry("esc", "symlink", "/outside"), entry("esc/x.txt", "file")];
  async function* items(entries: TarReadEntry[]): AsyncGenerator<TarReadItem> {
    for (const e of entries) yield { entry: e, body: async function* () {} };
  }
  /** Layers bottom-up; the tree merged from them and the paths of the flat export, with and without the tree. */
  async function exportOf(layers: TarReadEntry[][]) {
    const fs = new MergedFs();
    layers.forEach((entries, index) => fs.applyLayer(index, entries));
    async function* topDown(): AsyncGenerator<LayerEntries> {
      for (let index = layers.length - 1; index >= 0; index--) yield { index, items: items(layers[index]) };
    }
    const paths = async (tree?: MergedFs) => {
      const out: string[] = [];
      for await (const item of flattenLayers(topDown(), tree)) out.push(`${item.path} ${item.entry.type}`);
      return out.sort();
    };
    return { tree: fs.list().map((n) => `${n.path} ${n.type}`), flat: await paths(), flatWithTree: await paths(fs) };
  }

  it("are dropped from the tree, which keeps the symlink", async () => {
    const { tree } = await exportOf([escape]);
    expect(tree).toEqual(["esc symlink"]);
  });

  it("are dropped from the export of one layer, which matches the tree", async () => {
    const { tree, flat, flatWithTree } = await exportOf([escape]);
    expect(flat).toEqual(tree);
    expect(flatWithTree).toEqual(tree);
  });

  it("are dropped below a higher layer's symlink", async () => {
    const { tree, flat } = await exportOf([[entry("esc", "directory"), entry("esc/x.txt", "file")], [entry("esc", "symlink", "/outside")]]);
    expect(tree).toEqual(["esc symlink"]);
    expect(flat).toEqual(tree);
  });

  it("are dropped below a lower layer's symlink once the tree is given", async () => {
    const { tree, flatWithTree } = await exportOf([[entry("esc", "symlink", "/outside")], [entry("esc/x.txt", "file")]]);
    expect(tree).toEqual(["esc symlink"]);
    expect(flatWithTree).toEqual(tree);
  });

  it("stay when a higher layer makes the path a directory again", async () => {
    const { tree, flatWithTree } = await exportOf([[entry("esc", "symlink", "/outside")], [entry("esc", "directory"), entry("esc/x.txt", "file")]]);
    expect(tree).toEqual(["esc directory", "esc/x.txt file"]);
    expect(flatWithTree).toEqual(tree);
  });
});
