// The limits harness on a Durable Object, in the real workerd: entry.ts's withLimits wraps a
// class so its env is limited and each call (an RPC method, its alarm) is an invocation of
// its own, counted by the same rules as a request; the Worker's calls of the object count as
// subrequests to a Cloudflare service. The test Worker runs here with entry.ts's
// LimitsProbe bound as LIMITS_PROBE (the `mirror` fixture binds none), in front of a tiny
// upstream that answers every GET.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createTestHarness } from "wrangler";
import { OFFLINE_ENV } from "../../scripts/offline-env.ts";
import { compatibilityDate } from "./mirror.ts";
import type { Violation } from "./runtime/limits.ts";
import type { Tally } from "./runtime/probe.ts";
import { LIMITS_PATH, LIMITS_PROBE_PATH } from "./runtime/settle-path.ts";

let upstream: Server;
let upstreamUrl: string;
let harness: ReturnType<typeof createTestHarness>;

beforeAll(async () => {
  upstream = createServer((_request, response) => response.end("ok"));
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
  Object.assign(process.env, OFFLINE_ENV);
  harness = createTestHarness({
    root: join(import.meta.dirname, "..", ".."),
    workers: [{
      config: {
        name: "dockerdl-limits-durable",
        main: "test/proxy/runtime/entry.ts",
        compatibility_date: compatibilityDate(),
        compatibility_flags: ["nodejs_als"],
        r2_buckets: [{ binding: "CACHE", bucket_name: "dockerdl-limits-durable" }],
        durable_objects: { bindings: [{ name: "LIMITS_PROBE", class_name: "LimitsProbe" }] },
        migrations: [{ tag: "v1", new_sqlite_classes: ["LimitsProbe"] }],
        vars: { UPSTREAMS: JSON.stringify({ "registry.test": upstreamUrl }), RATE_LIMIT: "0", LIMIT_SERVICE_SUBREQUESTS: "50" },
      },
    }],
  });
  await harness.listen();
});

afterAll(async () => {
  await harness?.close();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

async function object(query: Record<string, string | number>): Promise<(Tally | string)[]> {
  const params = new URLSearchParams(Object.entries({ url: upstreamUrl, ...query }).map(([key, value]) => [key, String(value)]));
  const response = await harness.getWorker().fetch(`${LIMITS_PROBE_PATH}object?${params}`);
  expect(response.status).toBe(200);
  return (await response.json()) as (Tally | string)[];
}

const violations = async () => (await (await harness.getWorker().fetch(LIMITS_PATH)).json()) as Violation[];

test("each RPC call of the object has its own count: two calls of 40 fetches pass, a call of 51 is refused its 51st", async () => {
  expect(await object({ name: "a", count: 40, calls: 2 })).toEqual([{ ok: 40, errors: [] }, { ok: 40, errors: [] }]);
  expect(await violations()).toEqual([]);
  expect(await object({ name: "b", count: 51 })).toEqual([{ ok: 50, errors: [expect.stringContaining("Too many subrequests by single Worker invocation.")] }]);
  expect(await violations()).toEqual([{ rule: "subrequests", invocation: expect.stringMatching(/^#\d+ LimitsProbeObject\.fetches$/), message: expect.stringContaining("external subrequest 51 (limit 50)") }]);
});

test("an alarm is an invocation of its own", async () => {
  expect(await object({ name: "c", count: 51, via: "alarm" })).toEqual([{ ok: 50, errors: [expect.stringContaining("Too many subrequests")] }]);
  expect((await violations()).map((v) => v.invocation.replace(/^#\d+ /, ""))).toEqual(["LimitsProbeObject.alarm"]);
});

test("the Worker's calls of the object count as its subrequests to Cloudflare services", async () => {
  // LIMIT_SERVICE_SUBREQUESTS is 50 here: the 51st call of one request is refused.
  const results = await object({ name: "d", count: 0, calls: 51 });
  expect(results).toHaveLength(51);
  expect(results.at(-1)).toEqual(expect.stringContaining("Cloudflare-services subrequest 51 (limit 50)"));
  expect(await violations()).toMatchObject([{ rule: "subrequests", invocation: expect.stringContaining(`${LIMITS_PROBE_PATH}object`), message: expect.stringContaining("Durable Object call fetches") }]);
});
