// Publishing a build into the folder `wrangler dev` serves (scripts/publish-build.ts):
// at every step each file the app is loaded from is there, whole, old or new; sw.js
// and index.html change only after the chunks they name exist; the old build's files
// are gone at the end, and so is the staging folder.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { publishBuild } from "../../scripts/publish-build.ts";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function tree(dir: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const read = (dir: string, path: string) => (existsSync(join(dir, path)) ? readFileSync(join(dir, path), "utf8") : undefined);

describe("publishing a build", () => {
  it("never leaves sw.js or index.html missing, and swaps them only once their chunks are there", () => {
    const root = mkdtempSync(join(tmpdir(), "dockerdl-publish-"));
    dirs.push(root);
    const dist = tree(join(root, "dist"), { "index.html": "old index → assets/a-old.js", "sw.js": "old sw", "assets/a-old.js": "old chunk", "icon.png": "icon" });
    const staging = tree(join(root, "staging"), { "index.html": "new index → assets/a-new.js", "sw.js": "new sw", "assets/a-new.js": "new chunk", "icon.png": "icon 2" });
    const steps: string[] = [];
    publishBuild(staging, dist, (step) => {
      steps.push(step);
      expect(["old sw", "new sw"], step).toContain(read(dist, "sw.js"));
      expect(["old index → assets/a-old.js", "new index → assets/a-new.js"], step).toContain(read(dist, "index.html"));
      if (read(dist, "sw.js") === "new sw" || read(dist, "index.html")?.startsWith("new")) expect(read(dist, "assets/a-new.js"), step).toBe("new chunk");
      if (read(dist, "index.html")?.startsWith("old")) expect(read(dist, "assets/a-old.js"), step).toBe("old chunk");
    });
    expect(steps.slice(-3)).toEqual(["sw.js", "index.html", "-assets/a-old.js"]);
    expect(readdirSync(dist, { recursive: true }).sort()).toEqual(["assets", "assets/a-new.js", "icon.png", "index.html", "sw.js"]);
    expect(read(dist, "icon.png")).toBe("icon 2");
    expect(existsSync(staging)).toBe(false);
  });

  it("fills an empty or missing dist/", () => {
    const root = mkdtempSync(join(tmpdir(), "dockerdl-publish-"));
    dirs.push(root);
    const staging = tree(join(root, "staging"), { "index.html": "i", "sw.js": "s" });
    publishBuild(staging, join(root, "dist"));
    expect(readdirSync(join(root, "dist")).sort()).toEqual(["index.html", "sw.js"]);
  });
});
