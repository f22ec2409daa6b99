// Errors of the seed API (/api/…, /v1/search), built in one place so every refusal reads
// the same: {"error":{"code","message","hint"?,"key","params"}} (shared/seed-api.ts's
// ApiErrorBody, shared/errors.ts's ErrorInfo) with the right status. The codes follow
// shared/errors.ts where one fits (BAD_REFERENCE, NOT_FOUND, UPSTREAM, RATE_LIMITED…);
// `key` and `params` let the web app word the refusal in its language (its tables are in
// web/page/i18n/error-words.ts), the English `message` is for everyone else.
import { DockerdlError, type ErrorParams } from "../../shared/errors.ts";
import type { RegistryError } from "../../shared/registry/errors.ts";
import type { ApiErrorBody } from "../../shared/seed-api.ts";
import type { Config } from "../config.ts";
import { RouteError } from "../v2/route.ts";
import { upstreamRateLimitWords } from "../v2/errors.ts";

export interface ApiErrorOptions {
  /** Which wording of `code`, e.g. "BAD_REQUEST.too_long"; every refusal names one. */
  key: string;
  /** The names and numbers in the message, as given. */
  params?: ErrorParams;
  hint?: string;
  headers?: Record<string, string>;
}

/** A refusal with its HTTP status: the one error type (DockerdlError), so key and params travel with it. */
export class ApiError extends DockerdlError {
  readonly status: number;
  readonly headers?: Record<string, string>;

  constructor(status: number, code: string, message: string, options: ApiErrorOptions) {
    super(code, message, { key: options.key, params: options.params ?? {}, ...(options.hint === undefined ? {} : { hint: options.hint }) });
    this.name = "ApiError";
    this.status = status;
    if (options.headers !== undefined) this.headers = options.headers;
  }
}

export function jsonResponse(body: unknown, status = 200, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(body), { status, headers: h });
}

export function apiErrorResponse(error: ApiError): Response {
  const body: ApiErrorBody = {
    error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}), key: error.key ?? error.code, params: error.params ?? {} },
  };
  return jsonResponse(body, error.status, { "cache-control": "no-store", ...error.headers });
}

/** Any error thrown while answering becomes a JSON error; unknown ones are 500s, not HTML. */
export function toApiError(error: unknown, config?: Config): ApiError {
  if (error instanceof ApiError) return error;
  const hub = config?.upstreams.get("docker.io")?.host;
  if (error instanceof DockerdlError && error.code === "RATE_LIMITED" && hub !== undefined && error.params?.host === hub) {
    // Docker Hub's registry limiting the Worker's own pulls: the words v2/ gives docker too.
    const ms = (error as RegistryError).retryAfterMs;
    const seconds = ms === undefined ? undefined : Math.ceil(ms / 1000);
    const words = upstreamRateLimitWords("docker.io", seconds, config?.upstreamAuth.has("docker.io") ?? false);
    return new ApiError(429, "RATE_LIMITED", words.message, { key: words.key, params: words.params, ...(seconds === undefined ? {} : { headers: { "retry-after": String(seconds) } }) });
  }
  if (error instanceof DockerdlError) {
    const status = error.code === "BAD_REFERENCE" || error.code === "BAD_PLATFORM" || error.code === "BAD_IMAGE_LIST" ? 400
      : error.code === "PLATFORM_NOT_AVAILABLE" || error.code === "NOT_FOUND" ? 404
      : error.code === "UNAUTHORIZED" ? 401
      : error.code === "RATE_LIMITED" ? 429
      // An image this server will not fetch (foreign layers), or not within its plan's
      // subrequests: the request can't be served here, nothing failed.
      : error.code === "FOREIGN_LAYER" || error.code === "TOO_MANY_SUBREQUESTS" ? 422
      : 502;
    return new ApiError(status, error.code, error.message, { key: error.key ?? error.code, params: error.params ?? {}, ...(error.hint ? { hint: error.hint } : {}) });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError(500, "INTERNAL", `the API failed unexpectedly: ${message}`, { key: "INTERNAL.unexpected", params: { cause: message } });
}

/**
 * Throws a registry name the mirror can't serve (v2/route.ts's RouteError) as the API's
 * refusal, anything else as it is: a registry not in UPSTREAMS is a 404, a name it won't
 * pass on a 400. `name` is what was asked, registry first.
 */
export function rethrowRouteError(error: unknown, name: string, config: Config): never {
  if (!(error instanceof RouteError)) throw error;
  if (error.status === 404) {
    const registry = name.split("/")[0];
    throw new ApiError(404, "UNKNOWN_REGISTRY", error.message, { key: "UNKNOWN_REGISTRY.not_served", params: { registry, known: [...config.upstreams.keys()].join(", ") } });
  }
  throw new ApiError(400, "BAD_REFERENCE", error.message, { key: "BAD_REFERENCE.mirror_name", params: { name } });
}
