// The Worker's entry: routes registry, token and API requests; everything else is the
// PWA's static assets (served before the Worker runs, see wrangler.toml).
import { ConfigError, loadConfig, type Config, type Env } from "./config.ts";
import { preflight, withCors } from "./cors.ts";
import { registryError } from "./registry-errors.ts";
import { handleV2 } from "./registry.ts";
import { handleToken } from "./token.ts";

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    let config: Config;
    try {
      config = loadConfig(env);
    } catch (error) {
      if (error instanceof ConfigError) return registryError(500, "UNKNOWN", `mirror misconfigured: ${error.message}`);
      throw error;
    }
    if (request.method === "OPTIONS") return preflight(request, config);
    const response = await route(request, env, config);
    return withCors(request, response, config);
  },
} satisfies ExportedHandler<Env>;

async function route(request: Request, env: Env, config: Config): Promise<Response> {
  const { pathname } = new URL(request.url);
  if (pathname === "/v2" || pathname.startsWith("/v2/")) return handleV2(request, config);
  if (pathname === "/token") return handleToken(request, config);
  if (env.ASSETS) return env.ASSETS.fetch(request);
  return new Response("not found", { status: 404 });
}
