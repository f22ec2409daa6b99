// The limits harness set for the Paid plan and the connection rule Cloudflare has counted
// since 2026-04-09 (a connection is free once its response headers are in), in the real
// workerd (see limits-worker.test.ts for the Free plan's defaults): what those allow
// passes, what they still forbid is a breach.
import { expect } from "vitest";
import { testWith, type MirrorUnderTest } from "./mirror.ts";
import { limitVars } from "./runtime/limits.ts";
import { LIMITS_PROBE_PATH } from "./runtime/settle-path.ts";

const test = testWith(limitVars({ plan: "paid", connectionHold: "headers" }));

async function fetches(mirror: MirrorUnderTest, query: Record<string, string | number>): Promise<{ ok: number; errors: string[] }> {
  const params = new URLSearchParams(Object.entries({ url: `${mirror.upstream.url}/v2/`, ...query }).map(([key, value]) => [key, String(value)]));
  return (await (await mirror.fetch(`${LIMITS_PROBE_PATH}fetch?${params}`)).json()) as { ok: number; errors: string[] };
}

test("the Paid plan's request may make more than 50 fetches", async ({ mirror }) => {
  expect(await fetches(mirror, { count: 120 })).toEqual({ ok: 120, errors: [] });
});

test("bodies left unread hold no connection once their headers are in", async ({ mirror }) => {
  expect(await fetches(mirror, { count: 10, bodies: "keep" })).toEqual({ ok: 10, errors: [] });
});

test("seven fetches waiting for their headers at once are still a breach", async ({ mirror }) => {
  await fetches(mirror, { count: 7, parallel: 7 });
  expect((await mirror.takeViolations()).map((v) => v.rule)).toEqual(["connections"]);
});
