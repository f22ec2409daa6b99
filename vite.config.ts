// Builds the PWA from web/ into dist/, which wrangler serves as Workers static assets.
import { resolve } from "node:path";
import { defineConfig } from "vite";

const here = import.meta.dirname;

export default defineConfig({
  root: "web",
  publicDir: "public",
  build: {
    outDir: "../dist",
    emptyOutDir: true,
    target: "es2022",
    rollupOptions: {
      input: { main: resolve(here, "web/index.html"), sw: resolve(here, "web/sw/service-worker.ts") },
      output: {
        entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js"),
      },
    },
  },
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
});
