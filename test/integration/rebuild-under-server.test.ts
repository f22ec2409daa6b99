// A rebuild of the app under a running `wrangler dev` (as under `npm start`): the files
// are published the way `npm run build` publishes them (scripts/publish-build.ts) while
// /sw.js is asked for again and again. It must never be answered with index.html (the
// single-page fallback wrangler gives a path it has no file for), and ends as the new
// build's script. The old way (empty the folder, write sw.js last) fails this.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { publishBuild } from "../../scripts/publish-build.ts";
import { startWorker } from "../harness/wrangler.ts";

it("serves /sw.js as a script, never as the page, while a new build is published", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dockerdl-rebuild-"));
  const worker = await startWorker({ upstreams: {}, vars: { RATE_LIMIT: "0" }, persistDir: join(dir, "state"), logDir: dir, name: "wrangler-rebuild" });
  try {
    const assets = worker.assets!;
    const answers: string[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const response = await fetch(`${worker.url}/sw.js`).catch(() => undefined);
        const body = response ? await response.text() : "";
        // A 500 is wrangler reloading its assets: a failed update check, retried later.
        if (response?.status === 200) answers.push(`${response.headers.get("content-type")} ${body.includes("// build 2") ? "new" : "old"}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await expect.poll(() => answers.length, { timeout: 10_000 }).toBeGreaterThan(0);

    const staging = join(dir, "staging");
    cpSync(assets, staging, { recursive: true });
    writeFileSync(join(staging, "sw.js"), `${readFileSync(join(staging, "sw.js"), "utf8")}\n// build 2\n`);
    publishBuild(staging, assets);
    await expect.poll(() => answers.at(-1), { timeout: 30_000, interval: 200 }).toMatch(/javascript.* new$/);
    polling = false;
    await poll;
    expect(answers.filter((a) => !a.includes("javascript"))).toEqual([]);
  } finally {
    await worker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
