// The mirror under test for the proxy project: the real Worker (proxy/index.ts, wrapped
// by runtime/entry.ts) in the real workerd with real local R2, started in-process by
// wrangler's createTestHarness, with its one upstream a fake registry on 127.0.0.1.
// Tests seed and read R2 through the binding itself and await the Worker's background
// work through SETTLE_PATH, so nothing sleeps, and move the Worker's clock forward
// (CLOCK_PATH) where a test is about a time limit. Used as a file-scoped vitest fixture.
// Cloudflare's limits hold in every test (runtime/limits.ts): after each test the fixture
// asks the Worker for the breaches it recorded and fails the test if there are any, unless
// the test took them itself (mirror.takeViolations()). testWith's vars set the limits
// (limitVars); the 30 s waitUntil cut-off is scaled down to TEST_WAITUNTIL_MS.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test as base } from "vitest";
import { createTestHarness } from "wrangler";
import { OFFLINE_ENV } from "../../scripts/offline-env.ts";
import { startFakeRegistry, type FakeRegistry } from "./fake-registry.ts";
import { LIMIT_VARS, type Violation } from "./runtime/limits.ts";
import { CLOCK_PATH, LIMITS_PATH, R2_READS_PATH, SETTLE_PATH, UPLOADS_PATH } from "./runtime/settle-path.ts";

/** The test Worker's paths that only report what happened (safe to ask twice). */
const OBSERVATIONS = new Set([R2_READS_PATH, UPLOADS_PATH]);

const root = join(import.meta.dirname, "..", "..");

/** The UPSTREAMS key the fake registry is configured under. */
export const UPSTREAM_KEY = "registry.test";
/** A second UPSTREAMS key (the same fake registry), for what must never cross between upstreams; not in CREDENTIAL_UPSTREAMS. */
export const OTHER_KEY = "other.test";

/** The platform's 30 s of waitUntil after a response, as the proxy tests scale it (LIMIT_WAITUNTIL_MS). */
export const TEST_WAITUNTIL_MS = 3000;

/** The part of the R2 binding the tests use (a proxy to the Worker's own bucket). */
export interface TestBucket {
  head(key: string): Promise<{ size: number; customMetadata?: Record<string, string>; checksums: { sha256?: ArrayBuffer } } | null>;
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer>; customMetadata?: Record<string, string> } | null>;
  put(key: string, value: Uint8Array | string, options?: { sha256?: string; customMetadata?: Record<string, string>; httpMetadata?: { contentType?: string } }): Promise<unknown>;
  resumeMultipartUpload(key: string, uploadId: string): { uploadPart(partNumber: number, value: Uint8Array): Promise<unknown> };
}

export interface MirrorUnderTest {
  upstream: FakeRegistry;
  bucket: TestBucket;
  /** The Worker's own address on loopback, for a client that must hang up like a real one (a socket closed). */
  url: URL;
  /** A request to the Worker; `path` is relative to its origin. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Resolves once every ctx.waitUntil promise of earlier requests has settled or been cut off (a breach). */
  settle(): Promise<void>;
  /**
   * Moves the clock of the Worker and its fills `ms` forward, once the background work of
   * earlier requests (not the fills) has settled; every fill at work then checks at once
   * whether its blob is still wanted. The clock never goes back, and the file's tests share it.
   */
  advanceClock(ms: number): Promise<void>;
  /**
   * The breaches of Cloudflare's limits recorded since last asked (runtime/limits.ts), taken,
   * so the fixture does not fail the test for them; with `settleMs`, once background work has
   * settled or been cut off, or that long has passed.
   */
  takeViolations(settleMs?: number): Promise<Violation[]>;
}

/** The compatibility date wrangler.toml gives the Worker. */
export function compatibilityDate(): string {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  return date;
}

/** wrangler.toml's compatibility flags, so the test Worker runs as the deployed one. */
function compatibilityFlags(): string[] {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  const list = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? "";
  return [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
}

/**
 * Where client credentials go unless a test says: UPSTREAM_KEY (as the docker.io upstream's
 * do by default), never OTHER_KEY; every upstream of a test that gives its own UPSTREAMS.
 */
function credentialUpstreams(vars: Record<string, string>): string {
  return vars.UPSTREAMS === undefined ? UPSTREAM_KEY : Object.keys(JSON.parse(vars.UPSTREAMS) as object).join(",");
}

async function startMirror(vars: Record<string, string>): Promise<MirrorUnderTest & { close(): Promise<void> }> {
  Object.assign(process.env, OFFLINE_ENV);
  const upstream = await startFakeRegistry();
  const server = createTestHarness({
    root,
    workers: [{
      config: {
        name: "dockerdl-worker-tests",
        main: "test/proxy/runtime/entry.ts",
        compatibility_date: compatibilityDate(),
        // wrangler.toml's flags, and AsyncLocalStorage, which the limits harness finds each call's request with (the test Worker's only).
        compatibility_flags: [...compatibilityFlags(), "nodejs_als"],
        r2_buckets: [{ binding: "CACHE", bucket_name: "dockerdl-worker-tests" }],
        durable_objects: { bindings: [{ name: "FILLS", class_name: "BlobFill" }] },
        migrations: [{ tag: "v1", new_sqlite_classes: ["BlobFill"] }],
        vars: { UPSTREAMS: JSON.stringify({ [UPSTREAM_KEY]: upstream.url, [OTHER_KEY]: upstream.url }), CREDENTIAL_UPSTREAMS: credentialUpstreams(vars), RATE_LIMIT: "0", [LIMIT_VARS.waitUntilMs]: String(TEST_WAITUNTIL_MS), ...vars },
      },
    }],
  });
  const { url } = await server.listen();
  const worker = server.getWorker<{ CACHE: TestBucket }>();
  const { CACHE } = await worker.getEnv();
  // The test Worker's own observation paths (/__test/…) are asked on a connection the test
  // reused after reading a large body; on a loaded machine that kept-alive socket is
  // sometimes closed before the request is sent ("other side closed", no answer read), and
  // the question is asked once more on a fresh one. A Worker's own routes are never retried.
  const observe = async (path: string): Promise<Response> => {
    try {
      return (await worker.fetch(path)) as unknown as Response;
    } catch (error) {
      if ((error as { cause?: { code?: string } }).cause?.code !== "UND_ERR_SOCKET") throw error;
      return (await worker.fetch(path)) as unknown as Response;
    }
  };
  return {
    upstream,
    url,
    bucket: CACHE,
    // Miniflare speaks undici's Request and Response, which are the global ones in Node
    // but typed apart from the DOM's.
    fetch: (path, init) => (OBSERVATIONS.has(path) && !init ? observe(path) : (worker.fetch(path, init as never) as unknown as Promise<Response>)),
    async settle() {
      const response = await observe(SETTLE_PATH);
      if (response.status !== 204) throw new Error(`settling the Worker answered ${response.status}`);
    },
    async advanceClock(ms) {
      const response = await worker.fetch(`${CLOCK_PATH}?ms=${ms}`);
      if (response.status !== 204) throw new Error(`moving the Worker's clock answered ${response.status}`);
    },
    async takeViolations(settleMs) {
      const response = await observe(settleMs === undefined ? LIMITS_PATH : `${LIMITS_PATH}?settle=${settleMs}`);
      if (response.status !== 200) throw new Error(`asking the Worker for its breaches of the limits answered ${response.status}`);
      return (await response.json()) as Violation[];
    },
    async close() {
      await server.close();
      await upstream.close();
    },
  };
}

/** The breaches as a test failure says them. */
export function describeViolations(violations: Violation[]): string {
  return violations.map((v) => `- ${v.rule} in ${v.invocation}: ${v.message}`).join("\n");
}

/**
 * `test` with a `mirror` fixture whose Worker has `vars` on top of the defaults (RATE_LIMIT
 * off, waitUntil cut off after TEST_WAITUNTIL_MS), and a check after each test that it
 * broke none of Cloudflare's limits.
 */
export function testWith(vars: Record<string, string>) {
  const waitUntilMs = Number(vars[LIMIT_VARS.waitUntilMs] ?? TEST_WAITUNTIL_MS);
  return base
    .extend("mirror", { scope: "file" }, async ({}, { onCleanup }): Promise<MirrorUnderTest> => {
      const mirror = await startMirror(vars);
      onCleanup(() => mirror.close());
      return mirror;
    })
    .extend("limits", { auto: true }, async ({ mirror }, { onCleanup }) => {
      onCleanup(async () => {
        // Background work of this test has its cut-off to be judged by (work whose response
        // never ended has none, hence the bound), then every breach it left fails it.
        const left = await mirror.takeViolations(Number.isFinite(waitUntilMs) ? waitUntilMs + 2000 : 5000);
        if (left.length > 0) throw new Error(`the Worker broke Cloudflare's limits (test/proxy/runtime/limits.ts):\n${describeViolations(left)}`);
      });
    });
}

/** `test` with a `mirror` fixture: one Worker and fake upstream per test file. */
export const test = testWith({});
