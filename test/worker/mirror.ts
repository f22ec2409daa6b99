// The mirror under test for the worker project: the real Worker (proxy/index.ts, wrapped
// by runtime/entry.ts) in the real workerd with real local R2, started in-process by
// wrangler's createTestHarness, with its one upstream a fake registry on 127.0.0.1.
// Tests seed and read R2 through the binding itself and await the Worker's background
// work through SETTLE_PATH, so nothing sleeps. Used as a file-scoped vitest fixture.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test as base } from "vitest";
import { createTestHarness } from "wrangler";
import { OFFLINE_ENV } from "../../scripts/offline-env.ts";
import { startFakeRegistry, type FakeRegistry } from "./fake-registry.ts";
import { SETTLE_PATH } from "./runtime/settle-path.ts";

const root = join(import.meta.dirname, "..", "..");

/** The UPSTREAMS key the fake registry is configured under. */
export const UPSTREAM_KEY = "registry.test";
/** A second UPSTREAMS key (the same fake registry), for what must never cross between upstreams. */
export const OTHER_KEY = "other.test";

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
  /** Resolves once every ctx.waitUntil promise of earlier requests has settled. */
  settle(): Promise<void>;
}

function compatibilityDate(): string {
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

async function startMirror(vars: Record<string, string>): Promise<MirrorUnderTest & { close(): Promise<void> }> {
  Object.assign(process.env, OFFLINE_ENV);
  const upstream = await startFakeRegistry();
  const server = createTestHarness({
    root,
    workers: [{
      config: {
        name: "dockerdl-worker-tests",
        main: "test/worker/runtime/entry.ts",
        compatibility_date: compatibilityDate(),
        compatibility_flags: compatibilityFlags(),
        r2_buckets: [{ binding: "CACHE", bucket_name: "dockerdl-worker-tests" }],
        durable_objects: { bindings: [{ name: "FILLS", class_name: "BlobFill" }] },
        migrations: [{ tag: "v1", new_sqlite_classes: ["BlobFill"] }],
        vars: { UPSTREAMS: JSON.stringify({ [UPSTREAM_KEY]: upstream.url, [OTHER_KEY]: upstream.url }), RATE_LIMIT: "0", ...vars },
      },
    }],
  });
  const { url } = await server.listen();
  const worker = server.getWorker<{ CACHE: TestBucket }>();
  const { CACHE } = await worker.getEnv();
  return {
    upstream,
    url,
    bucket: CACHE,
    // Miniflare speaks undici's Request and Response, which are the global ones in Node
    // but typed apart from the DOM's.
    fetch: (path, init) => worker.fetch(path, init as never) as unknown as Promise<Response>,
    async settle() {
      const response = await worker.fetch(SETTLE_PATH);
      if (response.status !== 204) throw new Error(`settling the Worker answered ${response.status}`);
    },
    async close() {
      await server.close();
      await upstream.close();
    },
  };
}

/** `test` with a `mirror` fixture whose Worker has `vars` on top of the defaults (RATE_LIMIT off). */
export function testWith(vars: Record<string, string>) {
  return base.extend("mirror", { scope: "file" }, async ({}, { onCleanup }): Promise<MirrorUnderTest> => {
    const mirror = await startMirror(vars);
    onCleanup(() => mirror.close());
    return mirror;
  });
}

/** `test` with a `mirror` fixture: one Worker and fake upstream per test file. */
export const test = testWith({});
