// The Worker as the proxy tests run it: proxy/index.ts unchanged, under Cloudflare's
// limits (limits.ts says which and why): every fetch and every R2 call is counted against
// the request it belongs to (found with AsyncLocalStorage, workerd's `nodejs_als` flag,
// which mirror.ts sets for this Worker only), R2 refuses what R2 refuses, and waitUntil
// work still pending the scaled-down 30 s after its response was sent (or its client
// left) is a breach. Breaches are answered at LIMITS_PATH; the `mirror` fixture fails a
// test that leaves any. Every promise handed to ctx.waitUntil is also tracked here, and
// SETTLE_PATH answers once they have all settled or been cut off: tests await that
// instead of sleeping, as Cloudflare's vitest pool does with waitOnExecutionContext
// (that pool does not support this project's vitest). A request with R2_OUTAGE_HEADER
// gets a bucket that throws, to prove failures nobody expected are answered without a
// stack trace. Every `get` of the bucket is recorded (R2_READS_PATH answers them), so a
// test can prove how the Worker reads R2, not only what it answers. The Worker and its
// fills decide by a clock of their own (proxy/config.ts's ProxyContext): here real time
// plus however far CLOCK_PATH moved it, so a test of FILL_IDLE, say, moves the clock past
// it instead of waiting it out.
// Type-checked by proxy/tsconfig.json, against the Workers types.
import { DurableObject } from "cloudflare:workers";
import { BlobFill as RealBlobFill, workerWithClock, type Env } from "../../../proxy/index.ts";
import type { FillEnv } from "../../../proxy/fill/blob-fill.ts";
// @ts-expect-error -- workerd serves node:async_hooks under the nodejs_als flag; the Workers types don't declare it.
import { AsyncLocalStorage } from "node:async_hooks";
import { Invocation, lengthOf, limitedClass, limitedEnv, limitedFetch, limitsFrom, noteLength, observeResponse, runtime, teeKeepingLength, ViolationLog, WaitUntilBooks } from "./limits.ts";
import { fetches, probe, type ProbeObject, type Tally } from "./probe.ts";
import { CLOCK_PATH, LIMITS_PATH, LIMITS_PROBE_PATH, R2_OUTAGE_HEADER, R2_READS_PATH, SETTLE_PATH, UPLOADS_PATH, type R2Read, type UploadBegun } from "./settle-path.ts";

const invocations: { run<R>(invocation: Invocation, fn: () => R): R; getStore(): Invocation | undefined } = new AsyncLocalStorage();
const current = () => invocations.getStore();
const violations = new ViolationLog();
const books = new WaitUntilBooks();

/** How far CLOCK_PATH has moved the clock ahead of real time (ms); it only moves forward. */
let clockAhead = 0;
/** The clock of the Worker and of its fills (which share this isolate locally). */
const testClock = () => Date.now() + clockAhead;
const worker = workerWithClock(testClock);
/** The fills whose step watches the clock now (their Durable Object ids), told when it moves. */
const watchingFills = new Set<string>();

// The runtime's own objects, patched once: fetch counts, and the lengths the runtime
// knows of streams are known to the R2 rules too (limits.ts, "Lengths the platform knows").
globalThis.fetch = limitedFetch(globalThis.fetch.bind(globalThis), current, violations) as typeof fetch;
const NativeFixedLengthStream = FixedLengthStream;
(globalThis as unknown as { FixedLengthStream: typeof FixedLengthStream }).FixedLengthStream = class extends NativeFixedLengthStream {
  constructor(length: number | bigint) {
    super(length);
    noteLength(this.readable, Number(length));
  }
};
runtime.fixLength = (stream, length) => stream.pipeThrough(new NativeFixedLengthStream(length));
ReadableStream.prototype.tee = teeKeepingLength(ReadableStream.prototype.tee);
// A Response made of bytes has a length the runtime knows (it sends Content-Length); its
// body stream is noted too, so observeResponse's wrapper keeps it.
const NativeResponse = Response;
(globalThis as unknown as { Response: typeof Response }).Response = class extends NativeResponse {
  constructor(body?: BodyInit | null, init?: ResponseInit) {
    super(body, init);
    const length = body instanceof ReadableStream ? null : lengthOf(body);
    if (length !== null && this.body) noteLength(this.body, length);
  }
};

/** A Durable Object class under the same limits: its env limited, each of its methods (alarm, fetch, RPC) its own invocation. */
export const withLimits = <T extends abstract new (...args: never[]) => object>(Base: T): T =>
  limitedClass(Base, { current, run: (invocation, fn) => invocations.run(invocation, fn), log: violations });

/** Runs `fn` as an invocation of its own (a Queue consumer's batch, a Workflow step), counted by `env`'s limits. */
export function underLimits<R>(label: string, env: object, fn: () => R): R {
  return invocations.run(new Invocation(label, limitsFrom(env), violations), fn);
}

/**
 * A Durable Object for the tests of the harness (limits-durable.test.ts binds it as
 * LIMITS_PROBE; the mirror does not): fetches made in its methods and its alarm count per call.
 */
class LimitsProbeObject extends DurableObject<Env> implements ProbeObject {
  async fetches(target: string, count: number): Promise<Tally> {
    return fetches(target, count);
  }

  async arm(target: string, count: number): Promise<void> {
    await this.ctx.storage.delete("alarmed");
    await this.ctx.storage.put("job", { target, count });
    await this.ctx.storage.setAlarm(Date.now());
  }

  async alarmed(): Promise<Tally | null> {
    return (await this.ctx.storage.get<Tally>("alarmed")) ?? null;
  }

  override async alarm(): Promise<void> {
    const job = await this.ctx.storage.get<{ target: string; count: number }>("job");
    if (job) await this.ctx.storage.put("alarmed", await fetches(job.target, job.count));
  }
}
export const LimitsProbe = withLimits(LimitsProbeObject);

/** Every call fails the way a bug would: with an error whose stack names source files. */
const outage = new Proxy({}, {
  get: () => () => {
    throw new Error("R2 is down (simulated)");
  },
}) as R2Bucket;

let reads: R2Read[] = [];
/** One recording, limited env per Worker env, so the Worker's config (cached per env) is read once. */
const prepared = new WeakMap<Env, Env>();

/** A binding's member, methods called on the binding itself (a native object refuses any other `this`). */
function bound(target: R2Bucket, name: string | symbol): unknown {
  const value: unknown = Reflect.get(target, name);
  return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
}

/** `env` with a CACHE that is the real bucket, its every `get` written down first. */
function recording(env: Env): Env {
  const bucket = env.CACHE;
  if (!bucket) return env;
  const get: R2Bucket["get"] = (key, options) => {
    const range = options?.range;
    reads.push({ key, range: range && !(range instanceof Headers) && !("suffix" in range) ? { offset: range.offset, length: range.length } : null });
    return bucket.get(key, options);
  };
  return { ...env, CACHE: new Proxy(bucket, { get: (target, name) => (name === "get" ? get : bound(target, name)) }) };
}

/** The env the proxy is handed: recording, and under the limits. */
function envFor(request: Request, env: Env): Env {
  if (request.headers.has(R2_OUTAGE_HEADER)) return limitedEnv({ ...env, CACHE: outage }, current, violations);
  let wrapped = prepared.get(env);
  if (!wrapped) prepared.set(env, (wrapped = limitedEnv(recording(env), current, violations)));
  return wrapped;
}

/**
 * Every running fill is awaited by SETTLE_PATH too (the Durable Object shares this isolate
 * locally). A fill is not waitUntil work: it is tracked under an invocation of its own that
 * never ends, so no cut-off applies; its calls are counted per alarm and RPC (withLimits).
 */
const fillsEnded = new Map<RealBlobFill, () => void>();
/** The fills' invocations, which CLOCK_PATH does not wait for. */
const fillInvocations = new WeakSet<Invocation>();

let uploads: UploadBegun[] = [];

/** `env` with a CACHE whose multipart uploads are written down as they begin. */
function recordingUploads(env: FillEnv): FillEnv {
  const bucket = env.CACHE;
  if (!bucket) return env;
  const createMultipartUpload: R2Bucket["createMultipartUpload"] = async (key, options) => {
    const upload = await bucket.createMultipartUpload(key, options);
    uploads.push({ key, uploadId: upload.uploadId });
    return upload;
  };
  return { ...env, CACHE: new Proxy(bucket, { get: (target, name) => (name === "createMultipartUpload" ? createMultipartUpload : bound(target, name)) }) };
}

class RecordedBlobFill extends RealBlobFill {
  private readonly invocation: Invocation;

  constructor(ctx: DurableObjectState, env: FillEnv) {
    super(ctx, recordingUploads(env));
    this.invocation = new Invocation("a blob's fill (Durable Object)", limitsFrom(env), violations);
    fillInvocations.add(this.invocation);
  }

  protected override now(): number {
    return testClock();
  }

  /** The step's watch: every second as deployed, and at once whenever the test clock moves (clockMoved). */
  private readonly checks = new Set<() => void>();

  protected override watch(check: () => void): () => void {
    const stop = super.watch(check);
    this.checks.add(check);
    watchingFills.add(this.ctx.id.toString());
    return () => {
      stop();
      this.checks.delete(check);
      if (this.checks.size === 0) watchingFills.delete(this.ctx.id.toString());
    };
  }

  /** Called (RPC, so it runs in this object) when CLOCK_PATH has moved the clock. */
  async clockMoved(): Promise<void> {
    for (const check of this.checks) check();
  }

  protected override jobStarted(): void {
    let ended!: () => void;
    books.track(this.invocation, new Promise<void>((resolve) => (ended = resolve)));
    fillsEnded.get(this)?.();
    fillsEnded.set(this, ended);
  }

  protected override jobEnded(): void {
    fillsEnded.get(this)?.();
    fillsEnded.delete(this);
  }
}

export const BlobFill = withLimits(RecordedBlobFill);

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === SETTLE_PATH) {
      await books.settle();
      return new Response(null, { status: 204 });
    }
    if (url.pathname === CLOCK_PATH) {
      const ms = Number(url.searchParams.get("ms"));
      if (!Number.isFinite(ms) || ms < 0) return new Response("ms must be a non-negative number", { status: 400 });
      // What earlier requests set going happens first (a fill told its blob is wanted), then
      // the clock moves, and every fill at work checks at once whether its blob still is.
      await books.settle(Infinity, (invocation) => !fillInvocations.has(invocation));
      clockAhead += ms;
      const fills = env.FILLS as unknown as DurableObjectNamespace<RecordedBlobFill>;
      await Promise.all([...watchingFills].map((id) => fills.get(fills.idFromString(id)).clockMoved()));
      return new Response(null, { status: 204 });
    }
    if (url.pathname === UPLOADS_PATH) {
      const made = uploads;
      uploads = [];
      return Response.json(made);
    }
    if (url.pathname === LIMITS_PATH) {
      const settle = url.searchParams.get("settle");
      if (settle !== null) await books.settle(Number(settle));
      return Response.json(violations.take());
    }
    if (url.pathname === R2_READS_PATH) {
      const made = reads;
      reads = [];
      return Response.json(made);
    }
    const invocation = new Invocation(`${request.method} ${url.pathname}${url.search}`, limitsFrom(env), violations);
    return invocations.run(invocation, async () => {
      const tracked = {
        waitUntil(promise: Promise<unknown>) {
          books.track(invocation, promise);
          ctx.waitUntil(promise);
        },
        passThroughOnException: () => ctx.passThroughOnException(),
        props: ctx.props,
      } as ExecutionContext;
      let response: Response;
      try {
        response = url.pathname.startsWith(LIMITS_PROBE_PATH)
          ? await probe(url, {
              bucket: envFor(request, env).CACHE!,
              waitUntil: (promise) => tracked.waitUntil(promise),
              fixedLength: (length) => new FixedLengthStream(length),
              object: (name) => {
                const namespace = (envFor(request, env) as Env & { LIMITS_PROBE?: DurableObjectNamespace<LimitsProbeObject> }).LIMITS_PROBE!;
                return namespace.get(namespace.idFromName(name)) as unknown as ProbeObject;
              },
            })
          : await worker.fetch(request, envFor(request, env), tracked);
      } catch (error) {
        books.ended(invocation, "failed");
        throw error;
      }
      return observeResponse(response, (how) => books.ended(invocation, how));
    });
  },
} satisfies ExportedHandler<Env>;
