// The docs stay true to the tree: the two READMEs fit on a screen or two, every relative
// link in the READMEs, docs/ and bench/results/ reaches a file (and a heading, when it names one), and
// every file of shared/, cli/, proxy/ and web/ is named in its folder's README.
//
// Which README covers a file: the nearest README.md up the tree, inside its top folder
// (web/page/app.tsx → web/README.md; a web/page/README.md, if one existed, would take
// over). "Named" means the README holds the file's path relative to that README's folder
// (`page/app.tsx`) or its file name (`app.tsx`) as a word of its own.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const README_LIMIT = 150;
const DOCUMENTED_FOLDERS = ["shared", "cli", "proxy", "web"];
/** Build output and tools' state: never tracked, so never documented. */
const UNTRACKED = new Set(["node_modules", "dist", ".dist-build", ".wrangler"]);

const read = (path: string) => readFileSync(join(root, path), "utf8");

/** Tracked files under `folder`; a walk of the disk where there is no git checkout. */
function trackedFiles(folder: string): string[] {
  try {
    return execFileSync("git", ["ls-files", "--", folder], { cwd: root, encoding: "utf8" }).split("\n").filter((line) => line !== "");
  } catch {
    return walk(folder);
  }
}

function walk(folder: string): string[] {
  return readdirSync(join(root, folder), { withFileTypes: true }).flatMap((entry) => {
    if (UNTRACKED.has(entry.name)) return [];
    const path = `${folder}/${entry.name}`;
    return entry.isDirectory() ? walk(path) : [path];
  });
}

/** The text outside code fences, where a line starting with # is a heading. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^( {0,3})(```|~~~)[^\n]*\n[\s\S]*?^\1\2[^\n]*$/gm, "");
}

/** The text outside code fences and inline code, where a link is a link. */
function prose(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, "");
}

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const [, heading] of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/\*/g, "");
    const slug = text.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  // Headings inside code are not headings, but anchors written by hand in HTML are.
  for (const [, id] of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(id);
  return anchors;
}

/** The README*.md at the top, docs/, the folder READMEs and the benchmark stories. */
function markdownFiles(): string[] {
  const top = readdirSync(root).filter((name) => /^README.*\.md$/.test(name));
  const docs = walk("docs").filter((path) => path.endsWith(".md"));
  const folders = DOCUMENTED_FOLDERS.map((folder) => `${folder}/README.md`);
  const bench = walk("bench/results").filter((path) => path.endsWith(".md"));
  return [...top, ...docs, ...folders, ...bench];
}

interface BrokenLink {
  file: string;
  link: string;
  why: string;
}

function brokenLinks(file: string, text = read(file)): BrokenLink[] {
  const broken: BrokenLink[] = [];
  for (const [, raw] of prose(text).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(raw)) continue; // https:, mailto: …
    const [path, anchor] = raw.split("#", 2);
    const target = path === "" ? file : relative(root, join(root, dirname(file), decodeURI(path)));
    if (!existsSync(join(root, target))) {
      broken.push({ file, link: raw, why: `${target} does not exist` });
      continue;
    }
    if (anchor !== undefined && target.endsWith(".md") && !anchorsOf(read(target)).has(decodeURIComponent(anchor))) {
      broken.push({ file, link: raw, why: `${target} has no heading #${anchor}` });
    }
  }
  return broken;
}

/** The README that covers `file`: the nearest one up the tree, inside its top folder. */
function coveringReadme(file: string): string {
  const top = file.split("/")[0];
  for (let dir = dirname(file); dir === top || dir.startsWith(`${top}/`); dir = dirname(dir)) {
    if (existsSync(join(root, dir, "README.md"))) return `${dir}/README.md`;
  }
  throw new Error(`no README.md covers ${file}`);
}

function isNamed(readmeText: string, readmeDir: string, file: string): boolean {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const forms = [relative(readmeDir, file), file.split("/").pop() ?? file];
  return forms.some((form) => new RegExp(`(^|[^\\w.-])${escape(form)}($|[^\\w-])`, "m").test(readmeText));
}

describe("the top-level READMEs", () => {
  for (const name of ["README.md", "README.zh-CN.md"]) {
    it(`${name} is under ${README_LIMIT} lines`, () => {
      expect(existsSync(join(root, name)), `${name} is missing`).toBe(true);
      expect(read(name).split("\n").length).toBeLessThan(README_LIMIT);
    });
  }

  it("README.md keeps the test command CI runs (`npm test` in a code block)", () => {
    expect(read("README.md")).toMatch(/```(?:sh|bash)?\n(?:[^`]*\n)?npm test\n/);
  });
});

describe("links", () => {
  it("every relative link in the READMEs, docs/ and bench/results/ reaches a file, and a heading when it names one", () => {
    const files = markdownFiles();
    expect(files.length).toBeGreaterThan(2);
    expect(files.flatMap((file) => brokenLinks(file))).toEqual([]);
  });

  it("finds a broken link and a missing heading (the check can fail)", () => {
    expect(anchorsOf("# Run it locally\n## Use the Worker as a registry mirror\n## Seed API\n## Seed API")).toEqual(
      new Set(["run-it-locally", "use-the-worker-as-a-registry-mirror", "seed-api", "seed-api-1"]),
    );
    expect(anchorsOf("### 作为镜像仓库代理使用").has("作为镜像仓库代理使用")).toBe(true);
    expect(anchorsOf("## Registries behind a mirror (`UPSTREAMS` keys)\n## 部署者的账号（`UPSTREAM_AUTH`）")).toEqual(
      new Set(["registries-behind-a-mirror-upstreams-keys", "部署者的账号upstream_auth"]),
    );
    expect(prose("see `[x](nowhere.md)` and\n```\n[y](nowhere.md)\n```\n")).not.toContain("nowhere");
    const found = brokenLinks("docs/example.md", "[a](nowhere.md) [b](cli.md#no-such-heading) [c](cli.md#options) [d](https://example.com/x)");
    expect(found.map((b) => b.link)).toEqual(["nowhere.md", "cli.md#no-such-heading"]);
  });
});

describe("folder READMEs list every file", () => {
  for (const folder of DOCUMENTED_FOLDERS) {
    it(`every tracked file under ${folder}/ is named in its README`, () => {
      const files = trackedFiles(folder).filter((file) => !file.endsWith("README.md") && statSync(join(root, file)).isFile());
      expect(files.length).toBeGreaterThan(0);
      const unnamed = files.filter((file) => {
        const readme = coveringReadme(file);
        return !isNamed(read(readme), dirname(readme), file);
      });
      expect(unnamed).toEqual([]);
    });
  }
});
