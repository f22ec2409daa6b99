// The Worker's entry: registry, token and API requests (shared/worker-routes.ts says
// which paths those are, and wrangler.toml's run_worker_first sends exactly those here)
// go to their handlers; everything else is the PWA's static assets.
import { workerServiceOf, type WorkerService } from "../shared/worker-routes.ts";
import { ApiError, apiErrorResponse } from "./api/errors.ts";
import { handleApi } from "./api/router.ts";
import { publicBlobReader } from "./cache/public-blob.ts";
import { ConfigError, loadConfig, type Config, type Vars } from "./config.ts";
import { preflight, withCors } from "./cors.ts";
import { checkRateLimit, clientKey, limitOf, type RateLimits } from "./rate-limit.ts";
import { withAssetHeaders, withSecurityHeaders } from "./security-headers.ts";
import { handleToken } from "./token.ts";
import { registryErrorResponse } from "./v2/errors.ts";
import { handleV2 } from "./v2/handler.ts";
import type { Mirror } from "./v2/mirror.ts";
import type { BlobFill } from "./fill/blob-fill.ts";
import { fillsIn } from "./fill/order.ts";

/** The Durable Object that fills a blob into R2 (one per blob); wrangler.toml binds it as FILLS. */
export { BlobFill } from "./fill/blob-fill.ts";

/** What the Worker is given: its vars and its bindings. */
export interface Env extends Vars {
  CACHE?: R2Bucket;
  /** Optional Workers Rate Limiting binding: a per-location limit on top of the per-isolate one. */
  RATE_LIMITER?: RateLimit;
  ASSETS?: Fetcher;
  /** The blobs' fills (fill/blob-fill.ts); without it, a blob read only in ranges is never cached. */
  FILLS?: DurableObjectNamespace<BlobFill>;
  // The secrets TOKEN_SECRET and UPSTREAM_AUTH are read with the vars (config.ts).
}

/**
 * The Worker, deciding by the clock `now` (passed down with the config, ProxyContext):
 * Date.now when deployed; the test Worker's can be moved forward (test/proxy/runtime/).
 */
export function workerWithClock(now: () => number) {
  return {
    async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
      const service = workerServiceOf(new URL(request.url).pathname);
      // Not one of WORKER_PATHS: the app's, when assets did not answer it first (wrangler
      // dev without a build); its pages keep their own Content-Security-Policy.
      if (!service && env.ASSETS) return withAssetHeaders(await env.ASSETS.fetch(request).catch((error: unknown) => lastResort(request, error)));
      return withSecurityHeaders(await answer(request, service, env, ctx, now).catch((error: unknown) => lastResort(request, error)));
    },
  } satisfies ExportedHandler<Env>;
}

export default workerWithClock(Date.now);

async function answer(request: Request, service: WorkerService | null, env: Env, ctx: ExecutionContext, now: () => number): Promise<Response> {
  // Not one of WORKER_PATHS, and no assets bound (a test Worker).
  if (!service) return new Response("not found", { status: 404 });
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return errorResponse(service, 500, `mirror misconfigured: ${error.message}`, { key: "MISCONFIGURED.config", params: { detail: error.message } });
    throw error;
  }
  if (request.method === "OPTIONS") return preflight(request, config);
  const limited = await rateLimited(request, service, env, config);
  if (limited) return withCors(request, limited, config);
  const mirror: Mirror = {
    config,
    now,
    cache: env.CACHE,
    waitUntil: (promise) => ctx.waitUntil(promise),
    fills: env.FILLS ? fillsIn(env.FILLS) : undefined,
    client: () => clientKey(request),
    countFillStart: async () => (await checkRateLimit(fillStartOf(request), limitsOf(config), env.RATE_LIMITER)).allowed,
  };
  return withCors(request, await route(request, service, env, mirror), config);
}

/**
 * A failure no handler turned into an answer: logged here with its stack, answered in
 * the service's shape with none (a stack trace tells an attacker how the Worker is built).
 */
function lastResort(request: Request, error: unknown): Response {
  const url = new URL(request.url);
  console.error(`${request.method} ${url.pathname} failed:`, error);
  const service = workerServiceOf(url.pathname) ?? "registry";
  const message = "the mirror failed unexpectedly while answering this request; the operator's log has the details";
  return errorResponse(service, 500, message, { key: "INTERNAL.last_resort", params: {} });
}

function route(request: Request, service: WorkerService, env: Env, mirror: Mirror): Promise<Response> {
  switch (service) {
    case "registry":
      return handleV2(request, mirror);
    case "token":
      return handleToken(request, mirror);
    case "api":
      return handleApi(request, mirror.config, env.CACHE, mirror.now, env.CACHE ? publicBlobReader(env.CACHE, mirror.config.readWindow) : undefined);
  }
}

/**
 * An error in the shape the service speaks: the seed API's JSON, or the distribution
 * spec's (which docker reads) with the same key and params in its `detail`.
 */
function errorResponse(service: WorkerService, status: 429 | 500, message: string, words: { key: string; params: Record<string, string> }, headers?: Record<string, string>): Response {
  const code = words.key.split(".")[0];
  if (service === "api") return apiErrorResponse(new ApiError(status, code, message, { ...words, ...(headers ? { headers } : {}) }));
  return registryErrorResponse(status, status === 429 ? "TOOMANYREQUESTS" : "UNKNOWN", message, words, headers);
}

/** A background fill's start as the limiter counts it: a request of the same client that is not a blob read. */
function fillStartOf(request: Request): Request {
  const headers = new Headers();
  const ip = request.headers.get("cf-connecting-ip");
  if (ip !== null) headers.set("cf-connecting-ip", ip);
  return new Request(new URL("/v2/_background-fill", request.url), { headers });
}

function limitsOf(config: Config): RateLimits {
  return { perMinute: config.rateLimitPerMinute, blobsPerMinute: config.blobRateLimitPerMinute };
}

/** The 429 for a client over RATE_LIMIT (or BLOB_RATE_LIMIT, for a blob); null when within it. */
async function rateLimited(request: Request, service: WorkerService, env: Env, config: Config): Promise<Response | null> {
  const decision = await checkRateLimit(request, limitsOf(config), env.RATE_LIMITER);
  if (decision.allowed) return null;
  const blobs = limitOf(request) === "blobs";
  const limit = blobs ? config.blobRateLimitPerMinute : config.rateLimitPerMinute;
  const message = blobs
    ? `too many blob requests from your address: this mirror allows ${limit} blob requests a minute; retry in ${decision.retryAfter} s`
    : `too many requests from your address: this mirror allows ${limit} a minute (blob requests have a higher limit of their own); retry in ${decision.retryAfter} s`;
  const params = { limit: String(limit), seconds: String(decision.retryAfter) };
  return errorResponse(service, 429, message, { key: blobs ? "RATE_LIMITED.client_blobs" : "RATE_LIMITED.client", params }, { "retry-after": String(decision.retryAfter) });
}
