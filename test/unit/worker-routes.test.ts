// The Worker's paths are declared once (shared/worker-routes.ts): wrangler.toml's
// run_worker_first must list the same patterns, and every path maps to the service the
// Worker answers it with, or to the app.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WORKER_PATHS, workerServiceOf } from "../../shared/worker-routes.ts";

describe("the Worker's paths", () => {
  it("are exactly what wrangler.toml's run_worker_first sends to the Worker", () => {
    const toml = readFileSync(join(import.meta.dirname, "../../wrangler.toml"), "utf8");
    const line = /^run_worker_first\s*=\s*(\[.*\])\s*$/m.exec(toml);
    expect(line, "wrangler.toml has a one-line run_worker_first array").not.toBeNull();
    expect(JSON.parse(line![1])).toEqual([...WORKER_PATHS]);
  });

  it.each([
    ["/v2", "registry"],
    ["/v2/", "registry"],
    ["/v2/library/ubuntu/manifests/latest", "registry"],
    ["/v2/ghcr.io/o/a/blobs/sha256:00", "registry"],
    ["/token", "token"],
    ["/api/search", "api"],
    ["/api/", "api"],
    ["/v1/search", "api"],
    ["/v1/_ping", "api"],
    ["/", null],
    ["/index.html", null],
    ["/explore/ubuntu", null],
    ["/v2x", null],
    ["/tokens", null],
    ["/token/x", null],
    ["/api", null],
    ["/v1", null],
    ["/assets/v2/app.js", null],
  ])("%s belongs to %s", (path, service) => {
    expect(workerServiceOf(path)).toBe(service);
  });
});
