// What the end-to-end tests check a downloaded file against: the CLI's output for the
// same image (byte for byte) and `podman load` into a fresh, throwaway storage root.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Page } from "playwright-core";
import { readOpfsFile } from "./browser.ts";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..", "..");

export const RESULTS = join(root, "test-results", "e2e");
mkdirSync(RESULTS, { recursive: true });

/**
 * The file a finished job saved (the one its `docker load -i` line names), copied out of
 * the page's OPFS into RESULTS as `name`; its path.
 */
export async function copyFinishedFile(page: Page, name: string): Promise<string> {
  const command = (await page.textContent(".job .load-commands")) ?? "";
  const saved = /docker load -i (\S+\.tar)/.exec(command)?.[1];
  if (saved === undefined) throw new Error(`the finished job names no file to load: ${JSON.stringify(command)}`);
  const file = join(RESULTS, name);
  writeFileSync(file, await readOpfsFile(page, saved));
  return file;
}

/** `dockerdl pull` through the same Worker, as a person with the CLI would; several references make a bundle. */
export async function cliPull(worker: string, reference: string | string[], platform: string | undefined, out: string, credentials?: { username: string; password: string }): Promise<void> {
  const args = [join(root, "scripts/node22.mjs"), join(root, "cli/main.ts"), "pull", ...[reference].flat(), "--proxy", worker, "-o", out];
  if (platform) args.push("--platform", platform);
  if (credentials) args.push("--username", credentials.username, "--password-stdin");
  const child = run(process.execPath, args, { cwd: root, timeout: 60_000 });
  if (credentials) {
    child.child.stdin?.end(`${credentials.password}\n`);
  } else {
    child.child.stdin?.end();
  }
  await child;
}

/** Loads `file` with podman into a fresh root; returns what podman says it loaded. */
export async function podmanLoad(file: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "dockerdl-podman-"));
  try {
    const { stdout, stderr } = await run("podman", [
      "--root", join(dir, "root"), "--runroot", join(dir, "run"), "--storage-driver", "vfs", "--tmpdir", dir, "--events-backend", "none",
      "load", "-i", file,
    ], { timeout: 60_000 });
    return `${stdout}${stderr}`;
  } finally {
    // vfs layers are plain directories; podman leaves nothing running after `load`.
    rmSync(dir, { recursive: true, force: true });
  }
}
