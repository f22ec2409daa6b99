// `npx wrangler deploy --dry-run` bundles the Worker and its assets without a
// Cloudflare account or network, so a broken import or binding shows up here, not at
// a user's first deploy.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { OFFLINE_ENV } from "../../scripts/offline-env.ts";

it("bundles the Worker for deployment without network", () => {
  const root = join(import.meta.dirname, "..", "..");
  const out = mkdtempSync(join(tmpdir(), "dockerdl-deploy-"));
  try {
    const log = execFileSync(join(root, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", out], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, ...OFFLINE_ENV },
    });
    expect(log).toContain("env.CACHE (dockerdl-cache)");
    expect(log).toContain("--dry-run: exiting now.");
    expect(existsSync(join(out, "index.js"))).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
