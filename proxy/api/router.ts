// The seed API's entry: /api/search, /api/popular, /api/image-details, /api/download
// (and /api/download-stream, the same) and docker search's /v1/search and /v1/_ping.
// Picks the handler by path, refuses wrong methods with 405 and an Allow header, and
// turns every failure into a JSON error.
import type { Config } from "../config.ts";
import type { CacheBucket } from "./cache.ts";
import type { ApiContext } from "./context.ts";
import { handleDockerSearch, handleV1Ping } from "./docker-search.ts";
import { handleDownload } from "./download.ts";
import { ApiError, apiErrorResponse, toApiError } from "./errors.ts";
import { handleImageDetails } from "./image-details.ts";
import { handlePopular } from "./popular.ts";
import { handleSearch } from "./search.ts";

interface Route {
  methods: string[];
  handle(request: Request, ctx: ApiContext): Promise<Response> | Response;
}

const ROUTES: Record<string, Route> = {
  "/api/search": { methods: ["GET", "POST"], handle: handleSearch },
  "/api/popular": { methods: ["GET"], handle: handlePopular },
  "/api/image-details": { methods: ["GET", "POST"], handle: handleImageDetails },
  "/api/download": { methods: ["GET", "POST"], handle: handleDownload },
  "/api/download-stream": { methods: ["GET", "POST"], handle: handleDownload },
  "/v1/search": { methods: ["GET"], handle: handleDockerSearch },
  "/v1/_ping": { methods: ["GET"], handle: handleV1Ping },
};

export async function handleApi(request: Request, config: Config, cache: CacheBucket | undefined, now: () => number = Date.now, publicBlob?: ApiContext["publicBlob"]): Promise<Response> {
  try {
    const pathname = new URL(request.url).pathname.replace(/\/+$/, "");
    const route = ROUTES[pathname];
    if (!route) {
      const params = { path: pathname || "/", endpoints: Object.keys(ROUTES).join(", ") };
      throw new ApiError(404, "NOT_FOUND", `no API endpoint at ${params.path}; this Worker serves ${params.endpoints}`, { key: "NOT_FOUND.endpoint", params });
    }
    if (!route.methods.includes(request.method)) {
      const params = { path: pathname, methods: route.methods.join(" or "), method: request.method };
      throw new ApiError(405, "METHOD_NOT_ALLOWED", `${pathname} takes ${params.methods}, not ${request.method}`, {
        key: "METHOD_NOT_ALLOWED.method",
        params,
        headers: { allow: [...route.methods, "OPTIONS"].join(", ") },
      });
    }
    const ctx: ApiContext = { config, cache, now, ...(publicBlob ? { publicBlob } : {}) };
    return await route.handle(request, ctx);
  } catch (error) {
    return apiErrorResponse(toApiError(error, config));
  }
}
