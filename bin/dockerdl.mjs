#!/usr/bin/env node
// The `dockerdl` command as npm installs it (npx dockerdl …): the TypeScript CLI in
// cli/main.ts, run on Node 22 (see scripts/node22-launcher.mjs).
import { join } from "node:path";
import { launch, root } from "../scripts/node22-launcher.mjs";

launch([join(root, "cli", "main.ts"), ...process.argv.slice(2)], { prefix: "dockerdl: error: dockerdl " });
