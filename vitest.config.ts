// Test projects: "unit" is pure and fast; "proxy" runs the Worker (proxy/) in the real workerd
// in-process (wrangler's createTestHarness) with real local R2 and a fake upstream;
// "integration" starts the real parts once (registry, token server, fixtures, wrangler
// dev) through test/harness/global-setup.ts; "e2e" drives the PWA in headless Chromium
// against the same kind of harness.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "proxy",
          include: ["test/proxy/**/*.test.ts"],
          environment: "node",
          // Each file starts its own workerd; one at a time keeps the machine responsive.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/harness/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          // Its own harness (the Worker serves the dist/ that `npm test` has just built).
          globalSetup: ["test/harness/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
