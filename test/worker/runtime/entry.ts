// The Worker as the worker tests run it: proxy/index.ts unchanged, but every promise it
// hands to ctx.waitUntil is also tracked here, and SETTLE_PATH answers once they have all
// settled. Tests await that instead of sleeping, as Cloudflare's vitest pool does with
// waitOnExecutionContext (that pool does not support this project's vitest). A request
// with R2_OUTAGE_HEADER gets a bucket that throws, to prove failures nobody expected are
// answered without a stack trace. Every `get` of the bucket is recorded (R2_READS_PATH
// answers them), so a test can prove how the Worker reads R2, not only what it answers.
// Type-checked by proxy/tsconfig.json, against the Workers types.
import worker, { BlobFill as RealBlobFill, type Env } from "../../../proxy/index.ts";
import type { FillEnv } from "../../../proxy/fill/blob-fill.ts";
import { R2_OUTAGE_HEADER, R2_READS_PATH, SETTLE_PATH, UPLOADS_PATH, type R2Read, type UploadBegun } from "./settle-path.ts";

const pending = new Set<Promise<unknown>>();

function track(promise: Promise<unknown>): void {
  pending.add(promise);
  const forget = () => void pending.delete(promise);
  promise.then(forget, forget);
}

/** Every call fails the way a bug would: with an error whose stack names source files. */
const outage = new Proxy({}, {
  get: () => () => {
    throw new Error("R2 is down (simulated)");
  },
}) as R2Bucket;

let reads: R2Read[] = [];
/** One recording bucket per Worker env, so the Worker's config (cached per env) is read once. */
const recorded = new WeakMap<Env, Env>();

/** A binding's member, methods called on the binding itself (a native object refuses any other `this`). */
function bound(target: R2Bucket, name: string | symbol): unknown {
  const value: unknown = Reflect.get(target, name);
  return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
}

/** `env` with a CACHE that is the real bucket, its every `get` written down first. */
function recording(env: Env): Env {
  const bucket = env.CACHE;
  if (!bucket) return env;
  let wrapped = recorded.get(env);
  if (!wrapped) {
    const get: R2Bucket["get"] = (key, options) => {
      const range = options?.range;
      reads.push({ key, range: range && !(range instanceof Headers) && !("suffix" in range) ? { offset: range.offset, length: range.length } : null });
      return bucket.get(key, options);
    };
    wrapped = { ...env, CACHE: new Proxy(bucket, { get: (target, name) => (name === "get" ? get : bound(target, name)) }) };
    recorded.set(env, wrapped);
  }
  return wrapped;
}

/** Every running fill (the Durable Object shares this isolate locally) is awaited by SETTLE_PATH too. */
const fillsEnded = new Map<RealBlobFill, () => void>();

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

export class BlobFill extends RealBlobFill {
  constructor(ctx: DurableObjectState, env: FillEnv) {
    super(ctx, recordingUploads(env));
  }

  protected override jobStarted(): void {
    let ended!: () => void;
    track(new Promise<void>((resolve) => (ended = resolve)));
    fillsEnded.get(this)?.();
    fillsEnded.set(this, ended);
  }

  protected override jobEnded(): void {
    fillsEnded.get(this)?.();
    fillsEnded.delete(this);
  }
}

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname === SETTLE_PATH) {
      while (pending.size > 0) await Promise.allSettled([...pending]);
      return new Response(null, { status: 204 });
    }
    if (pathname === UPLOADS_PATH) {
      const made = uploads;
      uploads = [];
      return Response.json(made);
    }
    if (pathname === R2_READS_PATH) {
      const made = reads;
      reads = [];
      return Response.json(made);
    }
    const tracked = {
      waitUntil(promise: Promise<unknown>) {
        track(promise);
        ctx.waitUntil(promise);
      },
      passThroughOnException: () => ctx.passThroughOnException(),
      props: ctx.props,
    } as ExecutionContext;
    return worker.fetch(request, request.headers.has(R2_OUTAGE_HEADER) ? { ...env, CACHE: outage } : recording(env), tracked);
  },
} satisfies ExportedHandler<Env>;
