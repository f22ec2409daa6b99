// The limits harness's rules in Node, with fakes for the runtime's fetch and clock
// (runtime/limits.ts): the numbers each plan sets and the vars that change them; the
// subrequest count and its "Too many subrequests"; connections held until a body's end;
// the waitUntil cut-off and a settle that stops waiting for work cut off; Durable Object
// classes and namespaces counted per invocation. limits-worker.test.ts proves the same
// rules wired into the test Worker in workerd.
import { AsyncLocalStorage } from "node:async_hooks";
import { describe, expect, it } from "vitest";
import {
  FREE_PLAN,
  Invocation,
  lengthOf,
  limitedClass,
  limitedEnv,
  limitedFetch,
  limitedNamespace,
  limitsFrom,
  limitVars,
  newR2Books,
  observeResponse,
  PAID_PLAN,
  ViolationLog,
  WaitUntilBooks,
  type Limits,
} from "./runtime/limits.ts";
import { fakeBucket } from "./limits-fakes.ts";

const body = (text = "0123456789") => new Response(text, { headers: { "content-length": String(new TextEncoder().encode(text).byteLength) } });
const fakeFetch = async () => body();

function invocation(limits: Partial<Limits> = {}) {
  const log = new ViolationLog();
  return { log, invocation: new Invocation("GET /test", { ...FREE_PLAN, ...limits }, log) };
}

describe("the limits and their vars", () => {
  it("default to the Free plan's documented numbers", () => {
    expect(limitsFrom({})).toEqual({
      externalSubrequests: 50,
      serviceSubrequests: 1000,
      totalSubrequests: Infinity,
      connections: 6,
      connectionHold: "body",
      waitUntilMs: 30_000,
      r2UploadBytes: 5 * 1024 ** 3 - 5 * 1024 ** 2,
      r2MinPartBytes: 5 * 1024 ** 2,
      r2MaxParts: 10_000,
      r2KeyWriteMs: 1000,
    });
  });

  it("take the Paid plan's 10,000 subrequests in all", () => {
    expect(limitsFrom({ LIMIT_PLAN: "paid" })).toMatchObject({ externalSubrequests: Infinity, serviceSubrequests: Infinity, totalSubrequests: 10_000 });
  });

  it("are lowered, raised or lifted per test by vars, and refuse vars they can't read", () => {
    const vars = limitVars({ r2MinPartBytes: 1024, waitUntilMs: 500, connections: Infinity, connectionHold: "headers" });
    expect(vars).toEqual({ LIMIT_R2_MIN_PART_BYTES: "1024", LIMIT_WAITUNTIL_MS: "500", LIMIT_CONNECTIONS: "off", LIMIT_CONNECTION_HOLD: "headers" });
    expect(limitsFrom(vars)).toMatchObject({ r2MinPartBytes: 1024, waitUntilMs: 500, connections: Infinity, connectionHold: "headers", r2UploadBytes: FREE_PLAN.r2UploadBytes });
    expect(() => limitsFrom({ LIMIT_SUBREQUESTS: "fifty" })).toThrow(/LIMIT_SUBREQUESTS/);
    expect(() => limitsFrom({ LIMIT_PLAN: "enterprise" })).toThrow(/LIMIT_PLAN/);
    expect(() => limitsFrom({ LIMIT_CONNECTION_HOLD: "forever" })).toThrow(/LIMIT_CONNECTION_HOLD/);
  });
});

describe("subrequests", () => {
  it("the 51st fetch of one invocation throws Too many subrequests, and the breach is recorded once", async () => {
    const { log, invocation: one } = invocation();
    const limited = limitedFetch(fakeFetch, one, log);
    for (let i = 0; i < 50; i++) await (await limited(`https://upstream.test/${i}`)).arrayBuffer();
    expect(log.take()).toEqual([]);
    await expect(limited("https://upstream.test/50")).rejects.toThrow(/^Too many subrequests by single Worker invocation\..*external subrequest 51 \(limit 50\)/);
    await expect(limited("https://upstream.test/51")).rejects.toThrow(/Too many subrequests/);
    expect(log.take()).toEqual([{ rule: "subrequests", invocation: one.name, message: expect.stringContaining("fetch GET https://upstream.test/50") }]);
  });

  it("are counted per invocation: two invocations of 30 fetches each are within the limit", async () => {
    const log = new ViolationLog();
    const store = new AsyncLocalStorage<Invocation>();
    const limited = limitedFetch(fakeFetch, () => store.getStore(), log);
    const run = (name: string) =>
      store.run(new Invocation(name, FREE_PLAN, log), async () => {
        for (let i = 0; i < 30; i++) await (await limited(`https://upstream.test/${name}/${i}`)).arrayBuffer();
      });
    await Promise.all([run("a"), run("b")]);
    expect(log.take()).toEqual([]);
  });

  it("R2 calls count against the 1,000 to Cloudflare services, apart from the 50", async () => {
    const { log, invocation: one } = invocation({ serviceSubrequests: 3 });
    const bucket = limitedEnv({ CACHE: fakeBucket() }, one, log, newR2Books()).CACHE;
    for (let i = 0; i < 3; i++) await bucket.head(`k${i}`);
    await limitedFetch(fakeFetch, one, log)("https://upstream.test/");
    expect(() => bucket.head("k3")).toThrow(/Cloudflare-services subrequest 4 \(limit 3\)/);
    expect(log.take().map((v) => v.rule)).toEqual(["subrequests"]);
  });

  it("on the Paid plan, fetches and R2 calls share 10,000", async () => {
    const log = new ViolationLog();
    const one = new Invocation("GET /paid", { ...PAID_PLAN, totalSubrequests: 4 }, log);
    const bucket = limitedEnv({ CACHE: fakeBucket() }, one, log, newR2Books()).CACHE;
    const limited = limitedFetch(fakeFetch, one, log);
    for (let i = 0; i < 3; i++) await (await limited(`https://upstream.test/${i}`)).arrayBuffer();
    await bucket.head("k");
    await expect(limited("https://upstream.test/4")).rejects.toThrow(/subrequest 5 \(limit 4 in all\)/);
  });
});

describe("open connections", () => {
  it("a fetch holds its connection until its body is read to the end; a 7th open at once is recorded, naming what was open", async () => {
    const { log, invocation: one } = invocation();
    const limited = limitedFetch(fakeFetch, one, log);
    const held = await Promise.all(Array.from({ length: 6 }, (_, i) => limited(`https://upstream.test/${i}`)));
    expect(one.openConnections).toBe(6);
    expect(log.take()).toEqual([]);
    await held[0].text();
    expect(one.openConnections).toBe(5);
    const seventh = await limited("https://upstream.test/6");
    const eighth = await limited("https://upstream.test/7");
    expect(log.take()).toEqual([{ rule: "connections", invocation: one.name, message: expect.stringMatching(/^7 connections open at once \(limit 6\): fetch GET https:\/\/upstream.test\/1; .*upstream.test\/7$/) }]);
    for (const response of [...held.slice(1), seventh, eighth]) await response.arrayBuffer();
    expect(one.openConnections).toBe(0);
  });

  it("a cancelled or failed body frees its connection, and a HEAD, a bodiless answer or a failed fetch never holds one", async () => {
    const { log, invocation: one } = invocation();
    const broken = new ReadableStream({ pull: (controller) => controller.error(new Error("connection reset")) });
    const answers: Record<string, () => Promise<Response>> = {
      "/cancelled": async () => body(),
      "/broken": async () => new Response(broken),
      "/head": async () => body(),
      "/empty": async () => new Response(null, { status: 204 }),
      "/down": async () => Promise.reject(new TypeError("fetch failed")),
    };
    const limited = limitedFetch(async (input) => answers[new URL(String(input)).pathname](), one, log);
    await (await limited("https://upstream.test/cancelled")).body!.cancel();
    await expect((await limited("https://upstream.test/broken")).arrayBuffer()).rejects.toThrow(/connection reset/);
    await limited("https://upstream.test/head", { method: "HEAD" });
    await limited("https://upstream.test/empty");
    await expect(limited("https://upstream.test/down")).rejects.toThrow(/fetch failed/);
    expect(one.openConnections).toBe(0);
  });

  it('with LIMIT_CONNECTION_HOLD=headers (the rule since 2026-04-09), a connection is free once the headers are in', async () => {
    const { log, invocation: one } = invocation({ connectionHold: "headers" });
    const limited = limitedFetch(fakeFetch, one, log);
    for (let i = 0; i < 10; i++) await limited(`https://upstream.test/${i}`);
    expect(one.openConnections).toBe(0);
    expect(log.take()).toEqual([]);
  });

  it("an R2 get holds its connection until its body is consumed", async () => {
    const { log, invocation: one } = invocation();
    const bucket = limitedEnv({ CACHE: fakeBucket() }, one, log, newR2Books()).CACHE;
    await bucket.put("k", "hello");
    const object = (await bucket.get("k"))!;
    expect(one.openConnections).toBe(1);
    expect(lengthOf(object.body)).toBe(5);
    expect(await new Response(object.body).text()).toBe("hello");
    expect(one.openConnections).toBe(0);
    await (await bucket.get("k"))!.text();
    expect(one.openConnections).toBe(0);
  });

  it("a body's known length stays known (Content-Length, unless the runtime decodes the body)", async () => {
    const { log, invocation: one } = invocation();
    const plain = await limitedFetch(fakeFetch, one, log)("https://upstream.test/");
    expect(lengthOf(plain.body)).toBe(10);
    const gzipped = await limitedFetch(async () => new Response("x", { headers: { "content-length": "1", "content-encoding": "gzip" } }), one, log)("https://upstream.test/");
    expect(lengthOf(gzipped.body)).toBeNull();
  });
});

/** A clock whose timers run when the test says. */
function manualTimers() {
  const due: { at: number; callback: () => void }[] = [];
  let now = 0;
  return {
    set: (callback: () => void, ms: number) => void due.push({ at: now + ms, callback }),
    advance(ms: number) {
      now += ms;
      for (const timer of due.filter((t) => t.at <= now)) {
        due.splice(due.indexOf(timer), 1);
        timer.callback();
      }
    },
  };
}

const never = () => new Promise<never>(() => {});

describe("waitUntil", () => {
  it("work still pending the limit after the response was sent is recorded, naming the request, and settle stops waiting for it", async () => {
    const timers = manualTimers();
    const books = new WaitUntilBooks(timers.set);
    const { log, invocation: one } = invocation({ waitUntilMs: 30_000 });
    books.track(one, never());
    const response = observeResponse(body(), (how) => books.ended(one, how));
    await response.text();
    timers.advance(29_999);
    expect(log.take()).toEqual([]);
    expect(books.size).toBe(1);
    const settled = books.settle();
    timers.advance(1);
    await expect(settled).resolves.toBe(true);
    expect(log.take()).toEqual([
      { rule: "waitUntil", invocation: one.name, message: "1 waitUntil promise(s) still pending 30000 ms after the response had been sent: the platform cancels them then" },
    ]);
  });

  it("the limit runs from the moment the client leaves", async () => {
    const timers = manualTimers();
    const books = new WaitUntilBooks(timers.set);
    const { log, invocation: one } = invocation({ waitUntilMs: 100 });
    books.track(one, never());
    const response = observeResponse(new Response(new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(8)) })), (how) => books.ended(one, how));
    const reader = response.body!.getReader();
    await reader.read();
    timers.advance(1000);
    expect(log.take()).toEqual([]);
    await reader.cancel();
    timers.advance(100);
    expect(log.take()).toMatchObject([{ rule: "waitUntil", message: expect.stringContaining("after the response was cancelled (the client left)") }]);
  });

  it("work that settles within the limit is no breach, and other requests' work is not cut with it", async () => {
    const timers = manualTimers();
    const books = new WaitUntilBooks(timers.set);
    const { log, invocation: one } = invocation({ waitUntilMs: 100 });
    const other = new Invocation("GET /other", { ...FREE_PLAN, waitUntilMs: 100 }, log);
    let finish!: () => void;
    books.track(one, new Promise<void>((resolve) => (finish = resolve)));
    books.track(other, never());
    books.ended(one, "had been sent");
    finish();
    await Promise.resolve();
    timers.advance(100);
    expect(log.take()).toEqual([]);
    expect(books.size).toBe(1);
    const settled = books.settle(50);
    timers.advance(50);
    await expect(settled).resolves.toBe(false);
  });

  it("a response with no body ends its request at once", () => {
    let ended = "";
    observeResponse(new Response(null, { status: 204 }), (how) => (ended = how));
    expect(ended).toBe("was returned (no body)");
  });
});

describe("Durable Objects", () => {
  class FakeFill {
    env: { CACHE: ReturnType<typeof fakeBucket> };
    constructor(_ctx: unknown, env: { CACHE: ReturnType<typeof fakeBucket> }) {
      this.env = env;
    }
    async alarm(fetches: number) {
      for (let i = 0; i < fetches; i++) await (await fetch(`https://upstream.test/${i}`)).arrayBuffer();
      await this.env.CACHE.head("k");
    }
    async fill(fetches: number) {
      return this.alarm(fetches);
    }
  }

  it("each alarm or method call is its own invocation, its env's R2 counted and ruled too", async () => {
    const log = new ViolationLog();
    const store = new AsyncLocalStorage<Invocation>();
    const realFetch = globalThis.fetch;
    globalThis.fetch = limitedFetch(fakeFetch, () => store.getStore(), log) as typeof fetch;
    try {
      const Limited = limitedClass(FakeFill, { current: () => store.getStore(), run: (inv, fn) => store.run(inv, fn), log, books: newR2Books() });
      const object = new Limited({}, { CACHE: fakeBucket() });
      await object.alarm(30);
      await object.alarm(30);
      expect(log.take()).toEqual([]);
      await expect(object.fill(51)).rejects.toThrow(/Too many subrequests/);
      expect(log.take()).toMatchObject([{ rule: "subrequests", invocation: expect.stringMatching(/ FakeFill\.fill$/), message: expect.stringContaining("external subrequest 51") }]);
      const starved = new Limited({}, { CACHE: fakeBucket(), LIMIT_SERVICE_SUBREQUESTS: "0" } as never);
      await expect(starved.alarm(0)).rejects.toThrow(/Cloudflare-services subrequest 1 \(limit 0\) in #\d+ FakeFill\.alarm: R2 head k/);
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it("calls on a Durable Object stub count against the caller's Cloudflare-services subrequests", async () => {
    const { log, invocation: one } = invocation({ serviceSubrequests: 2 });
    const stub = { fill: async () => "filled", fetch: async () => body() };
    const namespace = limitedNamespace({ idFromName: (name: string) => name, get: (_id: string) => stub }, one, log);
    const fills = namespace.get("sha256:abc");
    await fills.fill();
    await fills.fetch();
    expect(() => fills.fill()).toThrow(/Too many subrequests/);
  });
});
