// A flattened filesystem as the tests compare it, whichever way it arrives: a directory
// on disk (umoci's unpack, an extracted tar) or a ZIP read back with Python's zipfile.
// Each path maps to its type, mode, size, link target and content hash.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { BuiltImage } from "./image-builder.ts";
import { writeOciLayout } from "./oci-layout.ts";
import { hasTool } from "./tools.ts";

export interface SnapshotEntry {
  type: "directory" | "symlink" | "file";
  mode: number;
  size?: number;
  target?: string;
  sha256?: string;
}

export type Snapshot = Record<string, SnapshotEntry>;

export const haveUmoci = hasTool("umoci");

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The tree under `root` (paths relative to it, without a leading slash). */
export function walk(root: string, dir = ""): Snapshot {
  const out: Snapshot = {};
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
      out[path] = { type: "file", mode: stat.mode & 0o7777, size: stat.size, sha256: sha256(readFileSync(full)) };
    }
  }
  return out;
}

/** The same record with its keys in order, so that diffs of two snapshots line up. */
export const sorted = <T>(record: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : 1)));

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
            out[name] = {"type": "file", "mode": stat.S_IMODE(mode), "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
print(json.dumps(out))
`;

/** A ZIP file as Python's zipfile reads it (after checking every member's CRC). */
export function readZip(file: string): Snapshot {
  return JSON.parse(execFileSync("python3", ["-c", READ_ZIP, file], { encoding: "utf8" })) as Snapshot;
}

/**
 * Writes `image` as an OCI layout under `work` (tagged `tag`) and unpacks it with
 * umoci into `work/bundle`; returns the rootfs directory.
 */
export function umociUnpack(work: string, image: BuiltImage, tag = "v1"): string {
  const layout = join(work, "layout");
  const bundle = join(work, "bundle");
  writeOciLayout(layout, image, tag);
  execFileSync("umoci", ["unpack", "--image", `${layout}:${tag}`, bundle], { stdio: "pipe" });
  return join(bundle, "rootfs");
}
