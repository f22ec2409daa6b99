// Errors of the seed API (/api/…, /v1/search), built in one place so every refusal reads
// the same: {"error":{"code","message","hint"?}} with the right status. The codes follow
// shared/errors.ts where one fits (BAD_REFERENCE, NOT_FOUND, UPSTREAM, RATE_LIMITED…).
import { DockerdlError } from "../../shared/errors.ts";
import type { RegistryError } from "../../shared/registry/errors.ts";
import type { ApiErrorBody } from "../../shared/seed-api.ts";
import type { Config } from "../config.ts";
import { upstreamRateLimitMessage } from "../v2/errors.ts";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly hint?: string;
  readonly headers?: Record<string, string>;

  constructor(status: number, code: string, message: string, options: { hint?: string; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
    if (options.headers !== undefined) this.headers = options.headers;
  }
}

export function jsonResponse(body: unknown, status = 200, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(body), { status, headers: h });
}

export function apiErrorResponse(error: ApiError): Response {
  const body: ApiErrorBody = { error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } };
  return jsonResponse(body, error.status, { "cache-control": "no-store", ...error.headers });
}

/** Any error thrown while answering becomes a JSON error; unknown ones are 500s, not HTML. */
export function toApiError(error: unknown, config?: Config): ApiError {
  if (error instanceof ApiError) return error;
  const hub = config?.upstreams.get("docker.io")?.host;
  if (error instanceof DockerdlError && error.code === "RATE_LIMITED" && hub !== undefined && error.params?.host === hub) {
    // Docker Hub's registry limiting the Worker's own pulls: the words v2/ gives docker too.
    const ms = (error as RegistryError).retryAfterMs;
    const message = upstreamRateLimitMessage("docker.io", ms === undefined ? undefined : Math.ceil(ms / 1000), config?.upstreamAuth.has("docker.io") ?? false);
    return new ApiError(429, "RATE_LIMITED", message, ms === undefined ? {} : { headers: { "retry-after": String(Math.ceil(ms / 1000)) } });
  }
  if (error instanceof DockerdlError) {
    const status = error.code === "BAD_REFERENCE" || error.code === "BAD_PLATFORM" ? 400
      : error.code === "PLATFORM_NOT_AVAILABLE" || error.code === "NOT_FOUND" ? 404
      : error.code === "UNAUTHORIZED" ? 401
      : error.code === "RATE_LIMITED" ? 429
      // An image this server will not fetch (foreign layers), or not within its plan's
      // subrequests: the request can't be served here, nothing failed.
      : error.code === "FOREIGN_LAYER" || error.code === "TOO_MANY_SUBREQUESTS" ? 422
      : 502;
    return new ApiError(status, error.code, error.message, error.hint ? { hint: error.hint } : {});
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError(500, "INTERNAL", `the API failed unexpectedly: ${message}`);
}
