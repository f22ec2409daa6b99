// Lint: typescript-eslint's recommended rules, plus the boundary that keeps shared/
// runnable everywhere: no Node, DOM or Workers imports or globals.
import tseslint from "typescript-eslint";

const runtimeGlobals = ["window", "document", "navigator", "localStorage", "sessionStorage", "indexedDB",
  "caches", "self", "process", "Buffer", "require", "__dirname", "__filename", "global", "fetch"];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".wrangler/**", "test-results/**", "bench/results/**", "**/*.js", "**/*.mjs"] },
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
);
