#!/usr/bin/env node
// `node scripts/node22.mjs <script> [args]`: what every npm script runs through, so the
// toolchain gets Node >= 22.12 even where the machine has Node 20 (see node22-launcher.mjs).
import { launch } from "./node22-launcher.mjs";

launch(process.argv.slice(2));
