// The Worker as the worker tests run it: proxy/index.ts unchanged, but every promise it
// hands to ctx.waitUntil is also tracked here, and SETTLE_PATH answers once they have all
// settled. Tests await that instead of sleeping, as Cloudflare's vitest pool does with
// waitOnExecutionContext (that pool does not support this project's vitest). A request
// with R2_OUTAGE_HEADER gets a bucket that throws, to prove failures nobody expected are
// answered without a stack trace.
// Type-checked by proxy/tsconfig.json, against the Workers types.
import worker, { type Env } from "../../../proxy/index.ts";
import { R2_OUTAGE_HEADER, SETTLE_PATH } from "./settle-path.ts";

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

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === SETTLE_PATH) {
      while (pending.size > 0) await Promise.allSettled([...pending]);
      return new Response(null, { status: 204 });
    }
    const tracked = {
      waitUntil(promise: Promise<unknown>) {
        track(promise);
        ctx.waitUntil(promise);
      },
      passThroughOnException: () => ctx.passThroughOnException(),
      props: ctx.props,
    } as ExecutionContext;
    return worker.fetch(request, request.headers.has(R2_OUTAGE_HEADER) ? { ...env, CACHE: outage } : env, tracked);
  },
} satisfies ExportedHandler<Env>;
