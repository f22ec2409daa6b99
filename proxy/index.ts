// The Worker's entry: routes registry, token and API requests; everything else is the
// PWA's static assets (served before the Worker runs, see wrangler.toml).
import { handleApi, isApiPath } from "./api/router.ts";
import { ApiError, apiErrorResponse } from "./api/errors.ts";
import { ConfigError, loadConfig, type Config, type Vars } from "./config.ts";
import { preflight, withCors } from "./cors.ts";
import { registryError } from "./v2/errors.ts";
import type { Mirror } from "./v2/mirror.ts";
import { checkRateLimit } from "./rate-limit.ts";
import { handleV2 } from "./v2/handler.ts";
import { handleToken } from "./token.ts";

/** What the Worker is given: its vars and its bindings. */
export interface Env extends Vars {
  CACHE?: R2Bucket;
  /** Optional Workers Rate Limiting binding: a per-location limit on top of the per-isolate one. */
  RATE_LIMITER?: RateLimit;
  ASSETS?: Fetcher;
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    let config: Config;
    try {
      config = loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return misconfigured(request, error);
      throw error;
    }
    if (request.method === "OPTIONS") return preflight(request, config);
    const limited = await rateLimited(request, env, config);
    if (limited) return withCors(request, limited, config);
    const mirror: Mirror = { config, cache: env.CACHE, waitUntil: (promise) => ctx.waitUntil(promise) };
    const response = await route(request, env, mirror);
    return withCors(request, response, config);
  },
} satisfies ExportedHandler<Env>;

async function route(request: Request, env: Env, mirror: Mirror): Promise<Response> {
  const { config } = mirror;
  const { pathname } = new URL(request.url);
  if (pathname === "/v2" || pathname.startsWith("/v2/")) return handleV2(request, mirror);
  if (pathname === "/token") return handleToken(request, config);
  if (isApiPath(pathname)) return handleApi(request, config, env.CACHE);
  if (env.ASSETS) return env.ASSETS.fetch(request);
  return new Response("not found", { status: 404 });
}

/** Bad vars, said in the shape the requested endpoint speaks. */
function misconfigured(request: Request, error: ConfigError): Response {
  const message = `mirror misconfigured: ${error.message}`;
  if (isApiPath(new URL(request.url).pathname)) return apiErrorResponse(new ApiError(500, "MISCONFIGURED", message));
  return registryError(500, "UNKNOWN", message);
}

/** The 429 for a client over RATE_LIMIT, in the shape its endpoint speaks; null when within it. */
async function rateLimited(request: Request, env: Env, config: Config): Promise<Response | null> {
  const { pathname } = new URL(request.url);
  const registry = pathname === "/v2" || pathname.startsWith("/v2/") || pathname === "/token";
  if (!registry && !isApiPath(pathname)) return null;
  const decision = await checkRateLimit(request, config.rateLimitPerMinute, env.RATE_LIMITER);
  if (decision.allowed) return null;
  const headers = { "retry-after": String(decision.retryAfter) };
  const message = `too many requests from your address: this mirror allows ${config.rateLimitPerMinute} a minute (blob downloads are not counted); retry in ${decision.retryAfter} s`;
  if (registry) return registryError(429, "TOOMANYREQUESTS", message, undefined, headers);
  return apiErrorResponse(new ApiError(429, "RATE_LIMITED", message, { headers }));
}
