// What the mirror refuses or passes on, through the real Worker: the per-client rate
// limit (blob downloads exempt), an upstream's 429 with its Retry-After, redirects the
// address guard won't follow, and registries that are not in UPSTREAMS. A small fake
// upstream plays the misbehaving registry.
import { createServer } from "node:http";
import { join } from "node:path";
import { describe, expect, } from "vitest";
import { test as base, withOwnWorker } from "../harness/fixtures-vitest.ts";
import { harness } from "../harness/injected.ts";
import type { RunningWorker } from "../harness/wrangler.ts";

const BLOB = `sha256:${"ab".repeat(32)}`;

/** The misbehaving registry: rate-limits /v2/limited/ (with an HTML page), redirects /v2/redirect/ to a file: URL. */
async function startMisbehavingUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const fake = createServer((req, res) => {
    const path = req.url ?? "/";
    if (path === "/v2/") return res.writeHead(200, { "content-type": "application/json" }).end("{}");
    if (path.startsWith("/v2/limited/")) {
      res.writeHead(429, { "retry-after": "42", "content-type": "text/html" });
      return res.end(req.method === "HEAD" ? undefined : "<html>slow down</html>");
    }
    if (path.startsWith("/v2/redirect/")) return res.writeHead(307, { location: "file:///etc/passwd" }).end();
    res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message: "no" }] }));
  });
  await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
  const address = fake.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => fake.close(() => resolve())) };
}

const test = base.extend<{ $file: { worker: RunningWorker } }>({
  /** A Worker with a rate limit of 5 requests a minute, and the misbehaving registry as fake.test. */
  worker: [
    async ({ tempDir }, use) => {
      const upstream = await startMisbehavingUpstream();
      const options = { upstreams: { ...harness.upstreams, "fake.test": upstream.url }, vars: { RATE_LIMIT: "5" }, persistDir: join(tempDir, "state"), logDir: tempDir, name: "wrangler-guard" };
      await withOwnWorker(options, use);
      await upstream.close();
    },
    { scope: "file" },
  ],
});

const from = (ip: string, extra: Record<string, string> = {}) => ({ headers: { "cf-connecting-ip": ip, ...extra } });
type Errors = { errors: { code: string; message: string }[] };

describe("the per-client rate limit", () => {
  test("answers 429 with Retry-After and TOOMANYREQUESTS past RATE_LIMIT, per address, blobs counted apart", async ({ worker }) => {
    const ip = "198.51.100.7";
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${worker.url}/v2/fake.test/some/repo/manifests/v${i}`, from(ip));
      expect(response.status).toBe(404);
      await response.body?.cancel();
    }
    const limited = await fetch(`${worker.url}/v2/fake.test/some/repo/manifests/latest`, from(ip));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await limited.json()) as Errors).errors[0].code).toBe("TOOMANYREQUESTS");
    // The token endpoint counts too.
    expect((await fetch(`${worker.url}/token?service=docker.io`, from(ip))).status).toBe(429);
    // Blob requests of the same client count against their own limit (BLOB_RATE_LIMIT, unset: ten times RATE_LIMIT).
    for (let i = 0; i < 8; i++) {
      const blob = await fetch(`${worker.url}/v2/fake.test/some/repo/blobs/${BLOB}`, from(ip, { range: `bytes=${i}-${i}` }));
      expect(blob.status).toBe(404);
      await blob.body?.cancel();
    }
    // Another client is unaffected.
    const other = await fetch(`${worker.url}/v2/fake.test/some/repo/manifests/latest`, from("198.51.100.8"));
    expect(other.status).toBe(404);
    await other.body?.cancel();
  });
});

describe("upstream answers", () => {
  test("passes an upstream 429 on with its Retry-After, in the spec's shape, for GET, HEAD and blobs", async ({ worker }) => {
    const get = await fetch(`${worker.url}/v2/fake.test/limited/repo/manifests/latest`, from("198.51.100.20"));
    expect(get.status).toBe(429);
    expect(get.headers.get("retry-after")).toBe("42");
    expect(((await get.json()) as Errors).errors[0].code).toBe("TOOMANYREQUESTS");
    const head = await fetch(`${worker.url}/v2/fake.test/limited/repo/manifests/latest`, { method: "HEAD", ...from("198.51.100.21") });
    expect(head.status).toBe(429);
    expect(head.headers.get("retry-after")).toBe("42");
    const blob = await fetch(`${worker.url}/v2/fake.test/limited/repo/blobs/${BLOB}`, from("198.51.100.22"));
    expect(blob.status).toBe(429);
    expect(blob.headers.get("retry-after")).toBe("42");
  });

  test("refuses to follow an upstream redirect the address guard forbids, naming the target's scheme", async ({ worker }) => {
    const response = await fetch(`${worker.url}/v2/fake.test/redirect/repo/blobs/${BLOB}`, from("198.51.100.30"));
    expect(response.status).toBe(403);
    const body = (await response.json()) as Errors;
    expect(body.errors[0].code).toBe("DENIED");
    expect(body.errors[0].message).toContain("file:");
  });

  test("refuses registries that are not in UPSTREAMS, by path, by ?ns= and at /token", async ({ worker }) => {
    const byPath = await fetch(`${worker.url}/v2/evil.example/x/manifests/latest`, from("198.51.100.40"));
    expect(byPath.status).toBe(404);
    expect(((await byPath.json()) as Errors).errors[0].code).toBe("NAME_UNKNOWN");
    const byNs = await fetch(`${worker.url}/v2/x/y/manifests/latest?ns=evil.example`, from("198.51.100.41"));
    expect(byNs.status).toBe(404);
    expect(((await byNs.json()) as Errors).errors[0].message).toContain("evil.example");
    const tokenFor = await fetch(`${worker.url}/token?service=evil.example&scope=repository:x:pull`, from("198.51.100.42"));
    expect(tokenFor.status).toBe(400);
    expect(((await tokenFor.json()) as Errors).errors[0].code).toBe("DENIED");
  });
});
