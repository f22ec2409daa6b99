// `npm run harness` (test/harness/cli.ts) cleans up after itself: stopped with Ctrl-C
// (SIGINT) or SIGTERM, or failing to start, it leaves nothing in its temp folder.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "./cli-helpers.ts";

const temps: string[] = [];
afterAll(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** The harness's own folders (wrangler keeps temp folders of its own beside them). */
function harnessFolders(tmp: string): string[] {
  return readdirSync(tmp).filter((name) => name.startsWith("dockerdl-harness-"));
}

async function runAndStop(signal: NodeJS.Signals, args: string[]): Promise<{ tmp: string; code: number | null; out: string }> {
  const tmp = mkdtempSync(join(tmpdir(), "dockerdl-harness-cli-"));
  temps.push(tmp);
  // The way npm runs it: through the Node 22 launcher, which passes the signal on.
  const child = spawn(process.execPath, [join(ROOT, "scripts", "node22.mjs"), join(ROOT, "test", "harness", "cli.ts"), ...args], {
    cwd: ROOT, env: { ...process.env, TMPDIR: tmp }, stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  await expect.poll(() => out, { timeout: 90_000, interval: 200 }).toContain("Ctrl-C stops everything.");
  expect(harnessFolders(tmp)).toHaveLength(1); // while it runs
  child.kill(signal);
  return { tmp, code: await closed, out };
}

describe("npm run harness", () => {
  it("removes its temp folder when stopped with Ctrl-C (SIGINT)", async () => {
    const { tmp, out } = await runAndStop("SIGINT", ["--no-worker"]);
    expect(out).toContain("registry ");
    expect(harnessFolders(tmp)).toEqual([]);
  });

  it("removes its temp folder when stopped with SIGTERM", async () => {
    const { tmp, out } = await runAndStop("SIGTERM", ["--no-worker"]);
    expect(out).toContain("registry ");
    expect(harnessFolders(tmp)).toEqual([]);
  });

  it("removes its temp folder when it fails to start (here: no openssl, no registry on PATH)", () => {
    const tmp = mkdtempSync(join(tmpdir(), "dockerdl-harness-cli-"));
    temps.push(tmp);
    const result = spawnSync(process.execPath, [join(ROOT, "test", "harness", "cli.ts"), "--no-worker"], {
      cwd: ROOT, env: { ...process.env, TMPDIR: tmp, PATH: join(tmp, "nothing") }, encoding: "utf8",
    });
    expect(result.status).not.toBe(0);
    expect(harnessFolders(tmp)).toEqual([]);
  });
});
