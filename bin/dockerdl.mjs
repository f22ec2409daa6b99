#!/usr/bin/env node
// The `dockerdl` command inside a clone (npx dockerdl … from the repo root): the
// TypeScript CLI in cli/main.ts, run on Node 22 (see scripts/node22-launcher.mjs).
// `--version` is answered here, without starting a second Node. The installable,
// compiled CLI is built by scripts/build-cli.ts instead.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { launch, root } from "../scripts/node22-launcher.mjs";

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  process.stdout.write(`dockerdl ${JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version}\n`);
} else {
  launch([join(root, "cli", "main.ts"), ...argv], { prefix: "dockerdl: error: dockerdl " });
}
