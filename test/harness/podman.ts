// Validators for output files, with the real tools: `podman load` into a fresh,
// throwaway storage root, `skopeo copy docker-archive:… oci:…` (which checks diff_ids),
// GNU tar's and Python's tarfile listings.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Loaded {
  output: string;
  /** `podman images` afterwards: repository:tag and the image ID. */
  images: { name: string; id: string }[];
}

/** podman load into a fresh root (from a file, or from a stream as `… | podman load`); the root is removed afterwards. */
export async function podmanLoad(file: string | NodeJS.ReadableStream): Promise<Loaded> {
  const dir = mkdtempSync(join(tmpdir(), "dockerdl-podman-"));
  const base = ["--root", join(dir, "root"), "--runroot", join(dir, "run"), "--storage-driver", "vfs", "--tmpdir", dir, "--events-backend", "none"];
  try {
    const loaded = typeof file === "string" ? await run("podman", [...base, "load", "-i", file], { maxBuffer: 1 << 24 }) : await loadFromStream(base, file);
    const listed = await run("podman", [...base, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"]);
    const images = listed.stdout.trim().split("\n").filter(Boolean).map((line) => {
      const [name, id] = line.split(" ");
      return { name, id };
    });
    return { output: loaded.stdout + loaded.stderr, images };
  } finally {
    // vfs layers may be read-only directories; podman's own cleanup is not needed for a throwaway root.
    await run("chmod", ["-R", "u+w", dir]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

function loadFromStream(base: string[], input: NodeJS.ReadableStream): Promise<{ stdout: string; stderr: string }> {
  const child = spawn("podman", [...base, "load"], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  input.pipe(child.stdin);
  return new Promise((resolve, reject) => {
    child.on("close", (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`podman load exited ${code}: ${stderr}`))));
  });
}

/** skopeo copy docker-archive:<file> oci:<dir>; resolves with skopeo's output. */
export async function skopeoToOci(file: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "dockerdl-skopeo-"));
  try {
    const { stdout, stderr } = await run("skopeo", ["copy", "--quiet", `docker-archive:${file}`, `oci:${join(dir, "oci")}`]);
    return stdout + stderr;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function tarList(file: string): Promise<string[]> {
  const { stdout } = await run("tar", ["-tvf", file]);
  return stdout.trim().split("\n");
}

export async function pythonTarNames(file: string): Promise<string[]> {
  const { stdout } = await run("python3", ["-c", "import sys, tarfile\nwith tarfile.open(sys.argv[1]) as t:\n  [print(m.name) for m in t.getmembers()]", file]);
  return stdout.trim().split("\n");
}
