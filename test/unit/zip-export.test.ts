// The flattened-filesystem ZIP (web/workers/explore/zip-export.ts) against umoci's unpack of the
// same image, read back with Python's zipfile (and `unzip -t` where installed): the
// same paths, types, modes, link targets and contents.
import { execFileSync } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { flattenLayers } from "../../shared/flatten.ts";
import { writeFlatZip } from "../../web/workers/explore/zip-export.ts";
import { whiteoutLayers } from "../harness/fixtures.ts";
import { buildImage, layersTopDown } from "../harness/image-builder.ts";
import { haveUmoci, readZip, sorted, umociUnpack, walk } from "../harness/rootfs-snapshot.ts";
import { hasTool } from "../harness/tools.ts";

const work = mkdtempSync(join(tmpdir(), "dockerdl-zip-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the flattened filesystem as a ZIP", () => {
  it.skipIf(!haveUmoci)("holds what umoci unpacks, with modes and symlinks", async () => {
    const image = buildImage({ oci: true, layers: whiteoutLayers() });
    const rootfs = umociUnpack(work, image);

    // Hardlink targets are read again from the layer that holds them, as the browser does.
    const readFile = (path: string) => (async function* () {
      for await (const { items } of layersTopDown(image)) {
        for await (const { entry, body } of items) {
          if (entry.name.replace(/^\.?\//, "") === path && entry.type === "file") {
            yield* body();
            return;
          }
        }
      }
    })();
    const zipFile = join(work, "rootfs.zip");
    const result = await writeFlatZip(flattenLayers(layersTopDown(image)), Writable.toWeb(createWriteStream(zipFile)) as WritableStream<Uint8Array>, { readFile });
    expect(result.entries).toBeGreaterThan(10);

    expect(sorted(readZip(zipFile))).toEqual(sorted(walk(rootfs)));
    if (hasTool("unzip")) execFileSync("unzip", ["-tq", zipFile], { stdio: "pipe" });
  });
});
