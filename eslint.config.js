// Lint: typescript-eslint's recommended rules, plus the boundaries that keep shared/
// runnable everywhere (no Node, DOM or Workers imports or globals) and web/'s runtimes
// apart (web/README.md, "Structure").
import tseslint from "typescript-eslint";

/** web/: what one runtime folder may not import from the others. */
const webBoundary = (files, patterns) => ({
  files,
  rules: { "no-restricted-imports": "off", "@typescript-eslint/no-restricted-imports": ["error", { patterns }] },
});

const runtimeGlobals = ["window", "document", "navigator", "localStorage", "sessionStorage", "indexedDB",
  "caches", "self", "process", "Buffer", "require", "__dirname", "__filename", "global", "fetch"];

export default tseslint.config(
  { ignores: ["dist/**", ".dist-build/**", "node_modules/**", ".wrangler/**", "test-results/**", "bench/results/**", "**/*.js", "**/*.mjs"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["shared/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["node:*", "fs", "path", "os", "crypto", "http", "https", "stream", "zlib", "child_process"], message: "shared/ must not use Node APIs" },
          { group: ["**/web/**", "**/proxy/**", "**/cli/**", "**/test/**"], message: "shared/ must not import runtime-specific code" },
          { group: ["cloudflare:*"], message: "shared/ must not use Workers APIs" },
        ],
      }],
      "no-restricted-globals": ["error", ...runtimeGlobals.map((name) => ({ name, message: `shared/ runs in browser, Worker and Node alike: no ${name}` }))],
    },
  },
  webBoundary(["web/page/**/*.ts", "web/page/**/*.tsx"], [
    { group: ["**/workers/*/services.ts", "**/workers/*/types.ts", "**/sw/services.ts"], allowTypeImports: true, message: "the page calls workers through lib/rpc.ts: it imports their types, never their code" },
    { regex: "/(workers|sw)/(.*/)?(?!(services|types)\\.ts$)[^/]+$", message: "the page knows a worker by its services.ts and types.ts only, and those for their types" },
  ]),
  webBoundary(["web/workers/**/*.ts"], [{ group: ["**/page/**", "**/sw/**"], message: "a worker imports lib/ and shared/, not the page or the service worker" }]),
  webBoundary(["web/sw/**/*.ts"], [{ group: ["**/page/**", "**/workers/**"], message: "the service worker imports lib/ and shared/, not the page or the workers" }]),
  webBoundary(["web/lib/**/*.ts"], [{ group: ["**/page/**", "**/workers/**", "**/sw/**"], message: "lib/ is imported by the runtimes; it imports only shared/" }]),
);
