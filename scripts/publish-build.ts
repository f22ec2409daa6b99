// Puts a finished build of the app (built into a staging folder) into dist/, which a
// running `wrangler dev` serves and watches. Vite used to empty dist/ first and write
// sw.js last, after a second build: for a second or more /sw.js did not exist, and
// wrangler, reloading its asset list meanwhile, answered it with index.html (its
// single-page-application fallback, 200 text/html) until it noticed the new file some
// seconds later, so a browser checking for an update then got HTML for its service
// worker. Here no file the app is served from is ever missing: each is written beside
// its final name and renamed over it (a rename replaces atomically), hashed chunks
// first, then sw.js (whose precache list names them), then index.html (which loads
// them); files of the old build go last.
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";

const LAST = ["sw.js", "index.html"];

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((path) => statSync(join(dir, path)).isFile())
    .map((path) => relative(dir, join(dir, path)));
}

/** Moves every file of `staging` into `target`, never leaving a served path missing; `onStep` runs after each change. */
export function publishBuild(staging: string, target: string, onStep: (what: string) => void = () => {}): void {
  const incoming = filesUnder(staging);
  const order = [...incoming.filter((f) => !LAST.includes(f)), ...LAST.filter((f) => incoming.includes(f))];
  for (const file of order) {
    const to = join(target, file);
    mkdirSync(dirname(to), { recursive: true });
    const temporary = `${to}.publishing-${process.pid}`;
    copyFileSync(join(staging, file), temporary);
    renameSync(temporary, to);
    onStep(file);
  }
  const kept = new Set(incoming);
  for (const file of filesUnder(target)) {
    if (kept.has(file)) continue;
    rmSync(join(target, file), { force: true });
    onStep(`-${file}`);
  }
  rmSync(staging, { recursive: true, force: true });
}
