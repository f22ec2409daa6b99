// Builds the PWA from web/ into dist/, which wrangler serves as Workers static assets.
// The page and its workers are ES modules; the service worker is built
// afterwards as one classic script (Firefox and Safari register module service workers
// late or not at all), with the list of files to cache for offline use baked in.
// Both are built into a staging folder and then published into dist/ file by file
// (scripts/publish-build.ts), so a rebuild under a running `npm start` never leaves
// wrangler a moment without sw.js or index.html.
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { build, defineConfig, type Plugin } from "vite";
import { publishBuild } from "./scripts/publish-build.ts";

const here = import.meta.dirname;
const jsx = { jsx: { runtime: "automatic", importSource: "preact" } } as const;
const staging = resolve(here, ".dist-build");
const dist = resolve(here, "dist");

function serviceWorker(): Plugin {
  let files: string[] = [];
  return {
    name: "dockerdl-service-worker",
    apply: "build",
    generateBundle(_options, bundle) {
      files = Object.keys(bundle).filter((name) => !name.endsWith(".map"));
    },
    async closeBundle() {
      const shell = ["/", ...files.filter((f) => f !== "index.html").map((f) => `/${f}`), "/manifest.webmanifest", "/icon-192.png", "/icon-512.png"];
      const buildId = createHash("sha256").update(files.sort().join("\n")).digest("hex").slice(0, 12);
      await build({
        configFile: false,
        logLevel: "warn",
        define: { __PRECACHE__: JSON.stringify(shell), __BUILD_ID__: JSON.stringify(buildId) },
        build: {
          outDir: staging,
          emptyOutDir: false,
          target: "es2022",
          copyPublicDir: false,
          lib: { entry: resolve(here, "web/sw/service-worker.ts"), formats: ["iife"], name: "dockerdlServiceWorker", fileName: () => "sw.js" },
        },
      });
      publishBuild(staging, dist);
    },
  };
}

export default defineConfig({
  root: "web",
  publicDir: "public",
  build: {
    outDir: staging,
    emptyOutDir: true,
    target: "es2022",
  },
  worker: { format: "es" },
  oxc: jsx,
  plugins: [serviceWorker()],
});
