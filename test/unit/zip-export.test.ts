// The flattened-filesystem ZIP (web/explore/zip-export.ts) against umoci's unpack of the
// same image, read back with Python's zipfile (and `unzip -t` where installed): the
// same paths, types, modes, link targets and contents.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { flattenLayers, type LayerEntries } from "../../shared/flatten.ts";
import { readTar } from "../../shared/tar-reader.ts";
import { writeFlatZip } from "../../web/explore/zip-export.ts";
import { whiteoutLayers } from "../harness/fixtures.ts";
import { buildImage } from "../harness/image-builder.ts";
import { writeOciLayout } from "../harness/oci-layout.ts";

const work = mkdtempSync(join(tmpdir(), "dockerdl-zip-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Snapshot = { type: string; mode: number; target?: string; sha256?: string };

function walk(root: string, dir = ""): Record<string, Snapshot> {
  const out: Record<string, Snapshot> = {};
  for (const name of readdirSync(join(root, dir))) {
    const path = dir ? `${dir}/${name}` : name;
    const full = join(root, path);
    const stat = lstatSync(full);
    if (stat.isDirectory()) {
      out[path] = { type: "directory", mode: stat.mode & 0o7777 };
      Object.assign(out, walk(root, path));
    } else if (stat.isSymbolicLink()) {
      out[path] = { type: "symlink", mode: 0o777, target: readlinkSync(full) };
    } else {
      out[path] = { type: "file", mode: stat.mode & 0o7777, sha256: createHash("sha256").update(readFileSync(full)).digest("hex") };
    }
  }
  return out;
}

const READ_ZIP = `
import hashlib, json, stat, sys, zipfile
out = {}
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    for info in z.infolist():
        mode = info.external_attr >> 16
        name = info.filename.rstrip("/")
        data = z.read(info)
        if info.is_dir():
            out[name] = {"type": "directory", "mode": stat.S_IMODE(mode)}
        elif stat.S_ISLNK(mode):
            out[name] = {"type": "symlink", "mode": 0o777, "target": data.decode()}
        else:
            out[name] = {"type": "file", "mode": stat.S_IMODE(mode), "sha256": hashlib.sha256(data).hexdigest()}
print(json.dumps(out))
`;

describe("the flattened filesystem as a ZIP", () => {
  it.skipIf(!existsSync("/usr/bin/umoci"))("holds what umoci unpacks, with modes and symlinks", async () => {
    const image = buildImage({ oci: true, layers: whiteoutLayers() });
    const layout = join(work, "layout");
    writeOciLayout(layout, image, "v1");
    const bundle = join(work, "bundle");
    execFileSync("umoci", ["unpack", "--image", `${layout}:v1`, bundle], { stdio: "pipe" });

    async function* topDown(): AsyncGenerator<LayerEntries> {
      for (let index = image.layers.length - 1; index >= 0; index--) {
        const stream = new Blob([image.layers[index].bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
        yield { index, items: readTar(stream) };
      }
    }
    // Hardlink targets are read again from the layer that holds them, as the browser does.
    const readFile = (path: string) => (async function* () {
      for (let index = image.layers.length - 1; index >= 0; index--) {
        const stream = new Blob([image.layers[index].bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
        for await (const { entry, body } of readTar(stream)) {
          if (entry.name.replace(/^\.?\//, "") === path && entry.type === "file") {
            yield* body();
            return;
          }
        }
      }
    })();
    const zipFile = join(work, "rootfs.zip");
    const result = await writeFlatZip(flattenLayers(topDown()), Writable.toWeb(createWriteStream(zipFile)) as WritableStream<Uint8Array>, { readFile });
    expect(result.entries).toBeGreaterThan(10);

    const fromZip = JSON.parse(execFileSync("python3", ["-c", READ_ZIP, zipFile], { encoding: "utf8" })) as Record<string, Snapshot>;
    const expected = walk(join(bundle, "rootfs"));
    expect(Object.fromEntries(Object.entries(fromZip).sort())).toEqual(Object.fromEntries(Object.entries(expected).sort()));
    if (existsSync("/usr/bin/unzip")) execFileSync("unzip", ["-tq", zipFile], { stdio: "pipe" });
  });
});
