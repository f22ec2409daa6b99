// The limits harness in the real workerd (runtime/entry.ts): test-only routes of the test
// Worker (runtime/probe.ts) break each limit on purpose through the same wrapped fetch, R2
// binding and ctx.waitUntil the proxy gets, and the breach is recorded against the request
// that made it, however many requests run at once; one test breaks an R2 rule through the
// proxy itself. A test that takes its breaches (mirror.takeViolations) passes; one that
// leaves a breach is failed by the `mirror` fixture. Here R2's upload limit is lowered to
// 6 MiB and its smallest part to 1 KiB (limitVars), as a test with small blobs does.
import { expect } from "vitest";
import { blobKey, pullToken, randomBlob, readAll, v2Path } from "./blobs.ts";
import { testWith, TEST_WAITUNTIL_MS, type MirrorUnderTest } from "./mirror.ts";
import { limitVars, MIB } from "./runtime/limits.ts";
import { LIMITS_PROBE_PATH } from "./runtime/settle-path.ts";

const UPLOAD = 6 * MIB;
const test = testWith(limitVars({ r2UploadBytes: UPLOAD, r2MinPartBytes: 1024 }));

async function probe<T>(mirror: MirrorUnderTest, name: string, query: Record<string, string | number> = {}, init?: RequestInit): Promise<T> {
  const params = new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)]));
  const response = await mirror.fetch(`${LIMITS_PROBE_PATH}${name}?${params}`, init);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

interface Tally {
  ok: number;
  errors: string[];
}

const fetches = (mirror: MirrorUnderTest, query: Record<string, string | number>) => probe<Tally>(mirror, "fetch", { url: `${mirror.upstream.url}/v2/`, ...query });
const rules = async (mirror: MirrorUnderTest) => (await mirror.takeViolations()).map((v) => v.rule);

test("the 51st fetch of one request throws Too many subrequests, and the breach names the request", async ({ mirror }) => {
  expect(await fetches(mirror, { count: 50 })).toEqual({ ok: 50, errors: [] });
  expect(await mirror.takeViolations()).toEqual([]);
  const tally = await fetches(mirror, { count: 51 });
  expect(tally).toEqual({ ok: 50, errors: [expect.stringMatching(/^Error: Too many subrequests by single Worker invocation\. .*external subrequest 51 \(limit 50\)/)] });
  expect(await mirror.takeViolations()).toEqual([
    { rule: "subrequests", invocation: expect.stringContaining(`GET ${LIMITS_PROBE_PATH}fetch?`), message: expect.stringContaining(`external subrequest 51 (limit 50): fetch GET ${mirror.upstream.url}/v2/`) },
  ]);
});

test("each request has its own count, however many run at once", async ({ mirror }) => {
  const tallies = await Promise.all([1, 2, 3].map(() => fetches(mirror, { count: 40 })));
  expect(tallies).toEqual([1, 2, 3].map(() => ({ ok: 40, errors: [] })));
});

test("fetches made after the response, in waitUntil, count for the request too", async ({ mirror }) => {
  await fetches(mirror, { count: 51, after: 1 });
  await mirror.settle();
  expect(await rules(mirror)).toEqual(["subrequests"]);
});

test("R2 calls count against the 1,000 subrequests to Cloudflare services", async ({ mirror }) => {
  const tally = await probe<Tally>(mirror, "r2-heads", { count: 1001 });
  expect(tally.ok).toBe(1000);
  expect(tally.errors).toEqual([expect.stringContaining("Cloudflare-services subrequest 1001 (limit 1000)")]);
  expect(await rules(mirror)).toEqual(["subrequests"]);
});

test("six connections may be open at once; a seventh is a breach naming the open ones", async ({ mirror }) => {
  expect(await fetches(mirror, { count: 12, parallel: 6, bodies: "hold" })).toEqual({ ok: 12, errors: [] });
  expect(await mirror.takeViolations()).toEqual([]);
  await fetches(mirror, { count: 7, parallel: 7 });
  const [breach, ...more] = await mirror.takeViolations();
  expect(more).toEqual([]);
  expect(breach).toMatchObject({ rule: "connections", message: expect.stringMatching(/^7 connections open at once \(limit 6\): (fetch GET [^;]+\/v2\/(; )?){7}$/) });
});

test("a body left unread holds its connection (LIMIT_CONNECTION_HOLD=body)", async ({ mirror }) => {
  await fetches(mirror, { count: 6, bodies: "keep" });
  expect(await mirror.takeViolations()).toEqual([]);
  await fetches(mirror, { count: 7, bodies: "keep" });
  expect(await rules(mirror)).toEqual(["connections"]);
});

test("waitUntil work still running the limit after the response was sent is a breach, and settle does not wait for it", async ({ mirror }) => {
  await (await mirror.fetch(`${LIMITS_PROBE_PATH}wait?ms=200`)).text();
  await mirror.settle();
  expect(await mirror.takeViolations()).toEqual([]);
  const started = Date.now();
  expect(await (await mirror.fetch(`${LIMITS_PROBE_PATH}wait?ms=600000`)).text()).toBe("answered");
  await mirror.settle();
  expect(Date.now() - started).toBeLessThan(TEST_WAITUNTIL_MS + 5000);
  expect(await mirror.takeViolations()).toEqual([
    {
      rule: "waitUntil",
      invocation: expect.stringContaining(`GET ${LIMITS_PROBE_PATH}wait?ms=600000`),
      message: `1 waitUntil promise(s) still pending ${TEST_WAITUNTIL_MS} ms (LIMIT_WAITUNTIL_MS: the platform's 30 s, scaled for tests) after the response had been sent: the platform cancels them then`,
    },
  ]);
});

test("the waitUntil limit runs from when the client leaves", async ({ mirror }) => {
  const response = await mirror.fetch(`${LIMITS_PROBE_PATH}stream?ms=600000`);
  const reader = response.body!.getReader();
  expect((await reader.read()).done).toBe(false);
  await reader.cancel();
  await mirror.settle();
  expect(await mirror.takeViolations()).toMatchObject([{ rule: "waitUntil", message: expect.stringContaining("after the response was cancelled (the client left)") }]);
});

test.fails("a test that leaves a breach untaken fails (the fixture's check after each test)", async ({ mirror }) => {
  await fetches(mirror, { count: 51 });
});

test("R2 refuses a put over the upload limit, whether bytes or a FixedLengthStream, and a writer feeding it fails", async ({ mirror }) => {
  expect(await probe(mirror, "r2-put", { key: "probe/fits", bytes: UPLOAD })).toEqual(["stored"]);
  expect(await probe(mirror, "r2-put", { key: "probe/big", bytes: UPLOAD + 1 })).toEqual([expect.stringContaining("6,291,457 bytes in one put (R2 takes at most 6,291,456 bytes")]);
  expect(await probe(mirror, "r2-put-stream", { key: "probe/big-stream", bytes: 7 * MIB })).toEqual({
    stored: expect.stringContaining("7,340,032 bytes in one put"),
    written: expect.stringContaining("7,340,032 bytes in one put"),
  });
  expect(await rules(mirror)).toEqual(["r2-upload-size", "r2-upload-size"]);
  expect(await mirror.bucket.head("probe/fits")).toMatchObject({ size: UPLOAD });
  expect(await mirror.bucket.head("probe/big")).toBeNull();
});

test("R2 takes multipart parts all of one size but the last, none but the last under the minimum", async ({ mirror }) => {
  // The local R2 itself refuses parts under 5 MiB, whatever the harness's minimum.
  expect(await probe(mirror, "r2-multipart", { key: "probe/parts", parts: `${5 * MIB},${5 * MIB},10` })).toBe("stored");
  expect(await mirror.bucket.head("probe/parts")).toMatchObject({ size: 10 * MIB + 10 });
  expect(await probe(mirror, "r2-multipart", { key: "probe/small", parts: "1000,10" })).toContain("a part but the last is under 1,024 bytes");
  expect(await probe(mirror, "r2-multipart", { key: "probe/uneven", parts: "2048,4096,10" })).toContain("not all the same size");
  expect(await probe(mirror, "r2-multipart", { key: "probe/long-tail", parts: "2048,4096" })).toContain("the last part is larger than the others");
  expect(await rules(mirror)).toEqual(["r2-parts", "r2-parts", "r2-parts"]);
});

test("R2 takes one write per second of a key", async ({ mirror }) => {
  expect(await probe(mirror, "r2-put", { key: "probe/twice", bytes: 10, times: 2 })).toEqual(["stored", expect.stringContaining("key probe/twice written again")]);
  expect(await rules(mirror)).toEqual(["r2-key-rate"]);
});

test("the proxy's own R2 writes are under the rules: a blob over the upload limit is served, not cached, and the breach recorded", async ({ mirror }) => {
  const repository = "limits/upload";
  mirror.upstream.addRepository(repository, { private: false });
  const blob = randomBlob(7 * MIB);
  mirror.upstream.addBlob(repository, blob.digest, blob.bytes);
  const authorization = `Bearer ${await pullToken(mirror, repository)}`;
  const response = await mirror.fetch(v2Path(repository, `blobs/${blob.digest}`), { headers: { authorization } });
  expect(response.status).toBe(200);
  expect((await readAll(response)).bytes).toEqual(blob.bytes);
  await mirror.settle();
  expect(await mirror.takeViolations()).toMatchObject([{ rule: "r2-upload-size", message: expect.stringContaining(`R2 put ${blobKey(blob)}: 7,340,032 bytes in one put`) }]);
  expect(await mirror.bucket.head(blobKey(blob))).toBeNull();
});
