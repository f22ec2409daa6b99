// The R2 cache of the mirror, through the real Worker (wrangler dev, local R2) in front of
// the harness registries: warm pulls move no blob bytes from upstream, ranges come from
// R2, cached private content is not handed to others, corrupt upstream bytes never land
// in R2, big blobs take multipart, and what a cache miss costs compared with no cache.
// Each Worker here has fresh R2, so nothing other suites did is cached already.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, } from "vitest";
import { pushBlob, type Pusher } from "../harness/registry-push.ts";
import { test as base } from "../harness/fixtures-vitest.ts";
import { fixtureImage, harness } from "../harness/injected.ts";
import { skopeoCopy } from "../harness/mirror-clients.ts";
import { cacheKey, inR2, missingFromR2 } from "../harness/r2-cache.ts";
import { accessLogCursor, accessLogFile, blobBytes, corruptBlob, type AccessEntry } from "../harness/registry-files.ts";
import { startWorker, uncachedConfig, type RunningWorker } from "../harness/wrangler.ts";

const basicAuth = `Basic ${Buffer.from(`${harness.basicUser.username}:${harness.basicUser.password}`).toString("base64")}`;
const basicPusher: Pusher = { url: harness.basicRegistry, authorization: () => basicAuth };
const MIB = 1024 * 1024;

interface Workers {
  /** With its R2 cache (PLAN paid). */
  cached: RunningWorker;
  /** With its R2 cache, storing blobs above 8 MiB in 5 MiB parts (PLAN paid). */
  multipart: RunningWorker;
  /** Without a cache: every request goes upstream. */
  uncached: RunningWorker;
}

const test = base.extend<{ $file: { workers: Workers } }>({
  workers: [
    async ({ tempDir }, use) => {
      const common = { upstreams: harness.upstreams, logDir: tempDir };
      const [cached, multipart, uncached] = await Promise.all([
        // Paid: a full GET is relayed into R2 in one pass (on Free it passes through and the fill reads again).
        startWorker({ ...common, name: "wrangler-cached", vars: { RATE_LIMIT: "0", PLAN: "paid" }, persistDir: join(tempDir, "cached") }),
        // Multipart fills hash the blob, which needs the Paid plan's CPU.
        startWorker({ ...common, name: "wrangler-multipart", vars: { RATE_LIMIT: "0", PLAN: "paid", R2_SINGLE_PUT_LIMIT: String(8 * MIB), FILL_PART_SIZE: String(5 * MIB) }, persistDir: join(tempDir, "multipart") }),
        startWorker({ ...common, name: "wrangler-uncached", vars: { RATE_LIMIT: "0" }, persistDir: join(tempDir, "uncached"), config: uncachedConfig(tempDir) }),
      ]);
      await use({ cached, multipart, uncached });
      await Promise.all([cached.stop(), multipart.stop(), uncached.stop()]);
    },
    { scope: "file" },
  ],
});

function sha256(bytes: Uint8Array): string {
  return "sha256:" + createHash("sha256").update(bytes).digest("hex");
}

async function token(worker: string, repository: string, basic?: string): Promise<string> {
  const response = await fetch(`${worker}/token?service=docker.io&scope=repository:${repository}:pull`, basic ? { headers: { authorization: basic } } : {});
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

/** A fresh random blob in the htpasswd registry, so no earlier pull has cached it. */
async function freshBlob(repository: string, size: number): Promise<{ digest: string; bytes: Uint8Array }> {
  const bytes = new Uint8Array(randomBytes(size));
  const blob = { digest: sha256(bytes), bytes };
  await pushBlob(basicPusher, repository, blob);
  return blob;
}

/** Reads a body to the end; a transfer cut short rejects (or comes back short). */
async function download(url: string, headers: Record<string, string> = {}): Promise<{ status: number; bytes: Uint8Array | null; error?: unknown }> {
  const response = await fetch(url, { headers });
  try {
    return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
  } catch (error) {
    return { status: response.status, bytes: null, error };
  }
}

/** R2 writes run in waitUntil, after the response: waits until the Worker holds all of `keys`. */
async function untilStored(worker: RunningWorker, keys: string[]): Promise<void> {
  await expect.poll(() => missingFromR2(worker.url, keys), { timeout: 30_000, interval: 200 }).toEqual([]);
}

/** What a cold pull through the mirror leaves in R2: every blob and manifest it fetched upstream, and the tag. */
function keysOfPull(upstream: AccessEntry[], registry: string, repository: string, tag: string): string[] {
  const fetched = upstream.filter((e) => e.method === "GET").map((e) => /\/(blobs|manifests)\/(sha256:[0-9a-f]{64})$/.exec(e.path)).filter((m) => m !== null);
  return [...fetched.map(([, kind, digest]) => (kind === "blobs" ? cacheKey.blob(digest) : cacheKey.manifest(digest))), cacheKey.tag(registry, repository, tag)];
}

/**
 * The Worker logs each blob it declined to store: R2 refusing a put checked against the
 * digest, or a multipart fill finding another digest; waits for that line about `digest`.
 */
async function untilRefused(worker: RunningWorker, digest: string, times: number): Promise<void> {
  const refusals = () => readFileSync(worker.process.logFile, "utf8").split(new RegExp(`R2 refused ${digest}|fill of ${digest}: the upstream's bytes hash to`)).length - 1;
  await expect.poll(refusals, { timeout: 30_000, interval: 200 }).toBeGreaterThanOrEqual(times);
}

describe("the blob and manifest cache", () => {
  test("a second pull of a public image moves no blob bytes from upstream and asks it for no manifest", async ({ workers: { cached }, tempDir }) => {
    const host = new URL(cached.url).host;
    const log = accessLogCursor(accessLogFile(harness.workDir, "token"));
    const first = await skopeoCopy(host, "test/many:v1", join(tempDir, "many-1"));
    expect(first.code, first.stderr).toBe(0);
    const cold = log.since();
    expect(blobBytes(cold)).toBeGreaterThan(0);
    await untilStored(cached, keysOfPull(cold, "docker.io", "test/many", "v1"));
    log.since();
    const second = await skopeoCopy(host, "test/many:v1", join(tempDir, "many-2"));
    expect(second.code, second.stderr).toBe(0);
    const warm = log.since();
    expect(blobBytes(warm)).toBe(0);
    // A public tag within TAG_TTL is not even resolved upstream again.
    expect(warm.filter((e) => e.path.includes("/manifests/"))).toEqual([]);
  });

  test("serves ranges of a cached blob from R2 with 206 and Content-Range, like the upstream does", async ({ workers: { cached, uncached } }) => {
    const { digest, bytes } = await freshBlob("proxytest/range", 300_000);
    const url = (worker: string) => `${worker}/v2/basic.test/proxytest/range/blobs/${digest}`;
    const auth = { authorization: basicAuth };
    expect(sha256((await download(url(cached.url), auth)).bytes!)).toBe(digest);
    await untilStored(cached, [cacheKey.blob(digest)]);
    const log = accessLogCursor(accessLogFile(harness.workDir, "basic"));
    for (const worker of [cached.url, uncached.url]) {
      const ranged = await fetch(url(worker), { headers: { ...auth, range: "bytes=1000-1999" } });
      expect(ranged.status).toBe(206);
      expect(ranged.headers.get("content-range")).toBe(`bytes 1000-1999/${bytes.length}`);
      expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(bytes.subarray(1000, 2000));
      const suffix = await fetch(url(worker), { headers: { ...auth, range: "bytes=-10" } });
      expect(suffix.status).toBe(206);
      expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(bytes.subarray(bytes.length - 10));
    }
    const beyond = await fetch(url(cached.url), { headers: { ...auth, range: `bytes=${bytes.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${bytes.length}`);
    // The cached worker answered its ranges without blob GETs upstream (only access checks).
    const upstreamGets = log.since().filter((e) => e.method === "GET" && e.path.includes(digest));
    expect(upstreamGets.length).toBe(2); // the uncached worker's two ranges
  });

  test("fills the cache in the background when an uncached blob is fetched in ranges", async ({ workers: { cached } }) => {
    const { digest, bytes } = await freshBlob("proxytest/ranged-fill", 3 * MIB);
    const url = `${cached.url}/v2/basic.test/proxytest/ranged-fill/blobs/${digest}`;
    const auth = { authorization: basicAuth };
    // As the engine does: the blob in parallel ranges, never a whole GET.
    const half = Math.floor(bytes.length / 2);
    const parts = await Promise.all([`bytes=0-${half - 1}`, `bytes=${half}-`].map(async (range) => {
      const response = await fetch(url, { headers: { ...auth, range } });
      expect(response.status).toBe(206);
      return new Uint8Array(await response.arrayBuffer());
    }));
    expect(sha256(Buffer.concat(parts))).toBe(digest);
    await untilStored(cached, [cacheKey.blob(digest)]);
    const log = accessLogCursor(accessLogFile(harness.workDir, "basic"));
    const again = await download(url, auth);
    expect(sha256(again.bytes!)).toBe(digest);
    const upstreamGets = log.since().filter((e) => e.method === "GET" && e.path.includes(digest));
    expect(upstreamGets.length).toBe(0);
  });

  test("never hands a cached private blob to a client that may not pull it", async ({ workers: { cached } }) => {
    const secret = fixtureImage("private/secret");
    const credentials = `Basic ${Buffer.from(`${harness.user.username}:${harness.user.password}`).toString("base64")}`;
    const allowed = `Bearer ${await token(cached.url, "private/secret", credentials)}`;
    const manifestResponse = await fetch(`${cached.url}/v2/private/secret/manifests/v1`, { headers: { authorization: allowed } });
    expect(manifestResponse.status).toBe(200);
    const manifest = (await manifestResponse.json()) as { layers: { digest: string }[] };
    const layer = manifest.layers[1].digest;
    const blobUrl = (repository: string) => `${cached.url}/v2/${repository}/blobs/${layer}`;
    expect(sha256((await download(blobUrl("private/secret"), { authorization: allowed })).bytes!)).toBe(layer);
    await untilStored(cached, [cacheKey.blob(layer)]);

    const log = accessLogCursor(accessLogFile(harness.workDir, "token"));
    // Cached now; the owner still gets it, checked upstream with a HEAD, no bytes moved.
    expect(sha256((await download(blobUrl("private/secret"), { authorization: allowed })).bytes!)).toBe(layer);
    expect(blobBytes(log.since())).toBe(0);

    const anonymous = await fetch(blobUrl("private/secret"));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toContain(`realm="${cached.url}/token"`);
    expect(((await anonymous.json()) as { errors: { code: string }[] }).errors[0].code).toBe("UNAUTHORIZED");

    const anonymousToken = `Bearer ${await token(cached.url, "private/secret")}`;
    expect((await fetch(blobUrl("private/secret"), { headers: { authorization: anonymousToken } })).status).toBe(401);

    // Naming a public repository the client may pull doesn't unlock another repository's blob.
    const publicToken = `Bearer ${await token(cached.url, "test/single")}`;
    const viaPublic = await fetch(blobUrl("test/single"), { headers: { authorization: publicToken } });
    expect(viaPublic.status).toBe(404);
    expect(((await viaPublic.json()) as { errors: { code: string }[] }).errors[0].code).toBe("BLOB_UNKNOWN");

    const manifestAnonymous = await fetch(`${cached.url}/v2/private/secret/manifests/${secret.digest}`, { headers: { authorization: anonymousToken } });
    expect(manifestAnonymous.status).toBe(401);
  });

  test("never stores a corrupted upstream blob; the client of a blob that fits one put sees a broken transfer", async ({ workers: { cached, multipart } }) => {
    for (const [worker, size] of [[cached, 2 * MIB], [multipart, 12 * MIB]] as const) {
      const { digest } = await freshBlob("proxytest/corrupt", size);
      corruptBlob(harness.workDir, "basic", digest);
      const url = `${worker.url}/v2/basic.test/proxytest/corrupt/blobs/${digest}`;
      for (let attempt = 1; attempt <= 2; attempt++) {
        const result = await download(url, { authorization: basicAuth });
        expect(result.status).toBe(200);
        if (worker === cached) {
          // Relayed into one put: R2 refuses it, and the last bytes never leave. Never the whole bad blob.
          expect(result.bytes === null || result.bytes.length < size, `attempt ${attempt} on ${size} bytes`).toBe(true);
        } else {
          // Too large for one put: passed through held to its length, its digest the client's
          // to check (hashing it here costs CPU per byte); the fill's own check keeps it out of R2.
          expect(result.bytes?.length).toBe(size);
          expect(sha256(result.bytes!)).not.toBe(digest);
        }
        await untilRefused(worker, digest, attempt);
        expect(await inR2(worker.url, cacheKey.blob(digest))).toBe(false);
      }
    }
  });

  test("stores blobs above the single-put limit with multipart and serves them back intact", async ({ workers: { multipart } }) => {
    const { digest } = await freshBlob("proxytest/big", 17 * MIB + 12345);
    const url = `${multipart.url}/v2/basic.test/proxytest/big/blobs/${digest}`;
    expect(sha256((await download(url, { authorization: basicAuth })).bytes!)).toBe(digest);
    await untilStored(multipart, [cacheKey.blob(digest)]);
    const log = accessLogCursor(accessLogFile(harness.workDir, "basic"));
    const again = await download(url, { authorization: basicAuth });
    expect(sha256(again.bytes!)).toBe(digest);
    expect(blobBytes(log.since())).toBe(0);
    const ranged = await fetch(url, { headers: { authorization: basicAuth, range: `bytes=${10 * MIB}-${10 * MIB + 9}` } });
    expect(ranged.status).toBe(206);
  });

  test("measures what a cache miss costs the client compared with no cache", async ({ workers: { cached, uncached } }) => {
    const size = 64 * MIB;
    const { digest } = await freshBlob("proxytest/timing", size);
    const time = async (worker: string) => {
      const started = performance.now();
      const { bytes } = await download(`${worker}/v2/basic.test/proxytest/timing/blobs/${digest}`, { authorization: basicAuth });
      const ms = performance.now() - started;
      expect(sha256(bytes!)).toBe(digest);
      return ms;
    };
    const direct = await time(uncached.url);
    const miss = await time(cached.url);
    await untilStored(cached, [cacheKey.blob(digest)]);
    const hit = await time(cached.url);
    const rate = (ms: number) => `${(size / MIB / (ms / 1000)).toFixed(0)} MB/s`;
    console.log(`64 MiB blob through the Worker: no cache ${direct.toFixed(0)} ms (${rate(direct)}), ` +
      `cache miss ${miss.toFixed(0)} ms (${rate(miss)}), cache hit ${hit.toFixed(0)} ms (${rate(hit)})`);
  });
});
