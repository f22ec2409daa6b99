// The import rules of proxy/README.md ("What may import what"), checked on the source:
// the vocabulary files import only shared/ and config.ts, cache/ never fetches,
// upstream/ knows only the Visibility type of the cache, the handlers (v2/, token.ts,
// api/) do not import each other, and nothing but the test Worker imports index.ts.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const VOCABULARY = new Set(["proxy/config.ts", "proxy/cache/r2-limits.ts", "proxy/cache/chunks.ts", "proxy/sha256.ts", "proxy/v2/route.ts", "proxy/v2/errors.ts", "proxy/v2/range.ts"]);

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sources(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(root, file), "utf8");
  return [...text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+"(\.[^"]+)"/gms)].map((m) => ({
    from: file,
    to: relative(root, normalize(join(root, dirname(file), m[2]))),
    typeOnly: m[1] !== undefined,
  }));
}

/** proxy/v2/blobs.ts → "v2"; proxy/token.ts → "token.ts". */
const area = (path: string) => path.split("/")[1];

function allowed({ from, to, typeOnly }: Import): boolean {
  if (to.startsWith("shared/")) return true;
  if (!to.startsWith("proxy/") || to === "proxy/index.ts") return false;
  if (VOCABULARY.has(from)) return to === "proxy/config.ts" || to === "proxy/cache/r2-limits.ts";
  if (VOCABULARY.has(to)) return true;
  switch (area(from)) {
    case "cache":
      return area(to) === "cache";
    case "upstream":
      return area(to) === "upstream" || (to === "proxy/cache/keys.ts" && typeOnly);
    case "v2":
      return ["v2", "upstream", "cache"].includes(area(to)) || (area(to) === "fill" && typeOnly);
    case "fill":
      return ["fill", "upstream", "cache"].includes(area(to));
    case "api":
      return ["api", "upstream"].includes(area(to));
    case "token.ts":
      return area(to) === "upstream";
    case "index.ts":
      return true;
    default:
      return false;
  }
}

it("proxy/ keeps the import rules its README states", () => {
  const imports = sources("proxy").flatMap(importsOf);
  expect(imports.length).toBeGreaterThan(50);
  expect(imports.filter((i) => !allowed(i)).map((i) => `${i.from} → ${i.to}`)).toEqual([]);
});

it("only the test Worker imports proxy/index.ts from outside proxy/", () => {
  const importers = ["shared", "web", "cli", "test"].flatMap(sources).flatMap(importsOf).filter((i) => i.to.startsWith("proxy/index.ts"));
  expect(importers.map((i) => i.from)).toEqual(["test/proxy/runtime/entry.ts"]);
});
