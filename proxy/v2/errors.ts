// Errors in the distribution spec's shape, {errors:[{code,message,detail}]}, built in
// one place so every refusal the proxy makes reads the same to docker, podman and people.
import { parseRetryAfter } from "../../shared/http.ts";
// The Worker's own refusals (its rate limit, its config) put the message key and params
// the seed API sends (shared/errors.ts's ErrorInfo) in `detail`, which the spec leaves free.

/**
 * The distribution spec's error codes, which the mirror sends; not the codes of
 * shared/registry/errors.ts's RegistryError, which is what a client makes of an answer.
 */
export type DistributionErrorCode =
  | "UNAUTHORIZED"
  | "DENIED"
  | "NAME_INVALID"
  | "NAME_UNKNOWN"
  | "MANIFEST_INVALID"
  | "MANIFEST_UNKNOWN"
  | "BLOB_UNKNOWN"
  | "DIGEST_INVALID"
  | "TAG_INVALID"
  | "RANGE_INVALID"
  | "UNSUPPORTED"
  | "TOOMANYREQUESTS"
  | "UNKNOWN";

export function registryErrorResponse(status: number, code: DistributionErrorCode, message: string, detail?: unknown, headers?: HeadersInit): Response {
  const body = JSON.stringify({ errors: [{ code, message, ...(detail === undefined ? {} : { detail }) }] });
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  h.set("docker-distribution-api-version", "registry/2.0");
  return new Response(body, { status, headers: h });
}

/**
 * Seconds to wait an upstream's 429 names: Retry-After (seconds or an HTTP date), else
 * RateLimit-Reset (seconds, or a Unix time where a registry sends one); undefined if neither.
 */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | undefined {
  const retryAfterMs = parseRetryAfter(headers.get("retry-after"), now);
  if (retryAfterMs !== undefined) return Math.ceil(retryAfterMs / 1000);
  const reset = /^\s*(\d+)/.exec(headers.get("ratelimit-reset") ?? "")?.[1];
  if (reset === undefined) return undefined;
  const value = Number(reset);
  return value > 1_000_000_000 ? Math.max(0, value - Math.floor(now / 1000)) : value;
}

/**
 * What a client reads when upstream `key` answers 429. Docker Hub (docker.io) limits
 * anonymous pulls per address, so its words say what lifts the limit for a mirror: the
 * operator's account (UPSTREAM_AUTH), unless one is set already. Other registries' are neutral.
 */
export function upstreamRateLimitMessage(key: string, seconds: number | undefined, credentialsSet: boolean): string {
  return upstreamRateLimitWords(key, seconds, credentialsSet).message;
}

/** The same words with the message key and params the seed API sends them with (web/page/i18n words them). */
export function upstreamRateLimitWords(key: string, seconds: number | undefined, credentialsSet: boolean): { message: string; key: string; params: Record<string, string> } {
  const when = seconds === undefined ? "retry later" : `retry after ${seconds} s`;
  const params = { registry: key === "docker.io" ? "Docker Hub" : key, ...(seconds === undefined ? {} : { seconds: String(seconds) }) };
  const advise = key === "docker.io" && !credentialsSet;
  const message = `${params.registry} is rate limiting this mirror; ${when}${advise ? ", or set upstream credentials (UPSTREAM_AUTH)" : ""}`;
  const keys = advise ? (["RATE_LIMITED.mirror_no_auth", "RATE_LIMITED.mirror_no_auth_wait"] as const) : (["RATE_LIMITED.mirror", "RATE_LIMITED.mirror_wait"] as const);
  return { message, key: keys[seconds === undefined ? 0 : 1], params };
}
