// The merged filesystem view (tar-reader + rootfs) against umoci's unpack of the same
// image: same paths, types, sizes, permission bits, link targets and contents.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { flatTar, flattenLayers, type LayerEntries } from "../../shared/flatten.ts";
import { MergedFs, normalizeTarPath } from "../../shared/rootfs.ts";
import { readTar, type TarReadEntry } from "../../shared/tar-reader.ts";
import { whiteoutLayers } from "../harness/fixtures.ts";
import { buildImage, type Blob as LayerBlob } from "../harness/image-builder.ts";
import { writeOciLayout } from "../harness/oci-layout.ts";

const work = mkdtempSync(join(tmpdir(), "dockerdl-rootfs-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Snapshot {
  type: string;
  size: number;
  mode: number;
  linkname?: string;
  sha256?: string;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function mergeLayers(layers: LayerBlob[]): Promise<Map<string, Snapshot>> {
  const fs = new MergedFs();
  const contents = new Map<string, string>(); // `${layer}:${path}` -> sha256
  for (const [index, layer] of layers.entries()) {
    const stream = new Blob([layer.bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
    const entries: TarReadEntry[] = [];
    for await (const { entry, body } of readTar(stream)) {
      entries.push(entry);
      if (entry.type === "file") {
        const hash = createHash("sha256");
        for await (const chunk of body()) hash.update(chunk);
        contents.set(`${index}:${normalizeTarPath(entry.name)}`, hash.digest("hex"));
      }
    }
    fs.applyLayer(index, entries);
  }
  const out = new Map<string, Snapshot>();
  for (const node of fs.list()) {
    const snapshot: Snapshot = { type: node.type, size: node.type === "file" || node.type === "hardlink" ? node.size : 0, mode: node.mode & 0o7777 };
    if (node.type === "symlink") snapshot.linkname = node.linkname;
    if (node.type === "file") snapshot.sha256 = contents.get(`${node.layer}:${node.path}`);
    if (node.type === "hardlink") {
      const target = fs.get(node.linkname!)!;
      Object.assign(snapshot, { type: "file", sha256: contents.get(`${target.layer}:${target.path}`), mode: target.mode & 0o7777 });
    }
    out.set(node.path, snapshot);
  }
  return out;
}

function walk(root: string, dir = ""): Map<string, Snapshot> {
  const out = new Map<string, Snapshot>();
  for (const name of readdirSync(join(root, dir))) {
    const path = dir ? `${dir}/${name}` : name;
    const full = join(root, path);
    const stat = lstatSync(full);
    const mode = stat.mode & 0o7777;
    if (stat.isDirectory()) {
      out.set(path, { type: "directory", size: 0, mode });
      for (const [k, v] of walk(root, path)) out.set(k, v);
    } else if (stat.isSymbolicLink()) {
      out.set(path, { type: "symlink", size: 0, mode: 0o777, linkname: readlinkSync(full) });
    } else {
      out.set(path, { type: "file", size: stat.size, mode, sha256: sha256(readFileSync(full)) });
    }
  }
  return out;
}

const haveUmoci = existsSync("/usr/bin/umoci");

describe("the merged filesystem of an image", () => {
  it.skipIf(!haveUmoci)("equals what umoci unpacks: adds, overwrites, whiteouts, opaque dirs, links", async () => {
    const image = buildImage({ oci: true, layers: whiteoutLayers() });
    const layout = join(work, "layout");
    writeOciLayout(layout, image, "v1");
    const bundle = join(work, "bundle");
    execFileSync("umoci", ["unpack", "--image", `${layout}:v1`, bundle], { stdio: "pipe" });
    const expected = walk(join(bundle, "rootfs"));
    const actual = await mergeLayers(image.layers);
    // Symlink modes are not meaningful on Linux; compare everything else exactly.
    for (const snap of actual.values()) if (snap.type === "symlink") snap.mode = 0o777;
    expect(Object.fromEntries([...actual].sort())).toEqual(Object.fromEntries([...expected].sort()));
    // The cases this fixture exists for, spelled out so a failure reads clearly.
    expect(actual.has("etc/remove-me")).toBe(false);
    expect(actual.has("opt/app/old-1.txt")).toBe(false);
    expect(actual.has("opt/app/sub")).toBe(false);
    expect(actual.has("opt/app/new.txt")).toBe(true);
    expect(actual.has("var/cache/big.bin")).toBe(false);
    expect(actual.get("var/cache")?.mode).toBe(0o700);
  });

  it.skipIf(!haveUmoci)("exports as a flat tar that extracts to what umoci unpacks", async () => {
    const image = buildImage({ oci: true, layers: whiteoutLayers() });
    const layout = join(work, "layout-flat");
    writeOciLayout(layout, image, "v1");
    const bundle = join(work, "bundle-flat");
    execFileSync("umoci", ["unpack", "--image", `${layout}:v1`, bundle], { stdio: "pipe" });

    async function* topDown(): AsyncGenerator<LayerEntries> {
      for (let index = image.layers.length - 1; index >= 0; index--) {
        const stream = new Blob([image.layers[index].bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
        yield { index, items: readTar(stream) };
      }
    }
    const chunks: Uint8Array[] = [];
    for await (const chunk of flatTar(flattenLayers(topDown()))) chunks.push(chunk);
    const tarFile = join(work, "flat.tar");
    writeFileSync(tarFile, Buffer.concat(chunks));
    const out = join(work, "flat-out");
    mkdirSync(out);
    execFileSync("tar", ["-xpf", tarFile, "-C", out, "--no-same-owner"], { stdio: "pipe" });
    const expected = walk(join(bundle, "rootfs"));
    const actual = walk(out);
    expect(Object.fromEntries([...actual].sort())).toEqual(Object.fromEntries([...expected].sort()));
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
