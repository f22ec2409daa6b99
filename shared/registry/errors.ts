// Registry answers turned into DockerdlErrors a user can act on. The HTTP status and a
// Retry-After travel with the error, so the download engine can tell a fault worth
// retrying (network, 5xx, 429) from one that will not go away (401, 404).

import { DockerdlError, type DockerdlErrorOptions, type KnownErrorCode } from "../errors.ts";
import { causeOf } from "../hints.ts";
import { parseRetryAfter, readPrefix, type HttpResponse } from "../http.ts";
import { isLoopbackRegistry } from "../reference.ts";
import { readNotServed } from "./not-served.ts";

export class RegistryError extends DockerdlError {
  readonly status?: number;
  /** From Retry-After (seconds or an HTTP date), when the registry sent one. */
  readonly retryAfterMs?: number;

  constructor(code: KnownErrorCode | "TRUNCATED", message: string, options: DockerdlErrorOptions & { status?: number; retryAfterMs?: number } = {}) {
    super(code, message, options);
    this.name = "RegistryError";
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
  }
}

/** Codes the engine retries with backoff: the same request may well succeed later. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set(["NETWORK", "UPSTREAM", "RATE_LIMITED", "TRUNCATED"]);

export function isTransient(error: unknown): boolean {
  return error instanceof DockerdlError && TRANSIENT_CODES.has(error.code);
}

/** Older dockerdl Workers' words for a registry not served, before the `detail` marker (not-served.ts). */
const UNSERVED = /registry "([^"]+)" is not configured on this mirror; it serves: ([^;]*?)\.(?: |$)/;

/** Characters of a gateway's own words kept in a message: enough for a sentence, not a page. */
const MAX_SAID = 300;

export const AUTH_HINT =
  "if the image is private, give the registry's username and password (dockerdl pull --username U --password-stdin); otherwise check the image name";

/** The spec's {errors:[{code,message,detail}]} body, if the registry sent one. */
export function registryErrorCodes(body: string): { code: string; message: string; detail?: unknown }[] {
  try {
    const json = JSON.parse(body) as { errors?: { code?: unknown; message?: unknown; detail?: unknown }[] };
    if (!Array.isArray(json.errors)) return [];
    return json.errors.map((e) => ({ code: String(e.code ?? ""), message: String(e.message ?? ""), ...(e.detail === undefined ? {} : { detail: e.detail }) }));
  } catch {
    return [];
  }
}

/**
 * The error for a non-success answer about `what` (e.g. "image test/x:v1" or
 * "layer sha256:…"). Reads a little of the body for the registry's own words.
 */
export async function errorFromResponse(response: HttpResponse, what: string, host: string): Promise<RegistryError> {
  // Only for the message: a registry's error document is short, a hostile one is cut off.
  const body = await readPrefix(response, 4096);
  const errors = registryErrorCodes(body);
  const said = errors.map((e) => e.message || e.code).filter(Boolean).join("; ");
  const detail = said ? ` (${host} said: ${said})` : "";
  const status = response.status;
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
  const params = { host, what, status: String(status), ...(said ? { said } : {}) };
  if (status === 401 || status === 403 || errors.some((e) => e.code === "DENIED" || e.code === "UNAUTHORIZED")) {
    return new RegistryError("UNAUTHORIZED", `${host} refused access to ${what}${detail}`, { hint: AUTH_HINT, status, key: "UNAUTHORIZED.refused", params });
  }
  // A dockerdl mirror asked for a registry it has no upstream for: its marker, else an older one's words.
  const unserved = status === 404 ? notServedIn(errors, said) : undefined;
  if (unserved !== undefined) {
    const cause = causeOf("UNKNOWN_REGISTRY.not_served", { host, ...unserved });
    return new RegistryError(cause.code, cause.message, { ...cause.options, status });
  }
  // A 5xx naming BLOB_UNKNOWN is a mirror that could not get the blob, not a missing one.
  if (status === 404 || (status < 500 && errors.some((e) => /_UNKNOWN$/.test(e.code)))) {
    return new RegistryError("NOT_FOUND", `${what} was not found on ${host}${detail}`, {
      hint: "check the name and tag (tags are case-sensitive); `docker.io` images without a slash are official ones (ubuntu = library/ubuntu)",
      status,
      key: "NOT_FOUND.missing",
      params,
    });
  }
  if (status === 429 || errors.some((e) => e.code === "TOOMANYREQUESTS")) {
    const seconds = retryAfterMs === undefined ? undefined : String(Math.ceil(retryAfterMs / 1000));
    const wait = seconds === undefined ? "" : ` for ${seconds} s`;
    return new RegistryError("RATE_LIMITED", `${host} is rate-limiting requests${wait} while fetching ${what}${detail}`, {
      hint: "wait and run the command again; signing in (--username) or using your own mirror (--proxy) raises the limit",
      status,
      key: seconds === undefined ? "RATE_LIMITED.host" : "RATE_LIMITED.wait",
      params: { ...params, ...(seconds === undefined ? {} : { seconds }) },
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status === 502) {
    // Bad gateway: a mirror (or a registry's front) that could not reach or read what is behind it.
    const words = said.length > MAX_SAID ? `${said.slice(0, MAX_SAID)}…` : said;
    return new RegistryError("UPSTREAM", `${host} could not reach or read the registry behind it for ${what} (502)${words ? `: ${words}` : ""}`, {
      hint: "the mirror or its upstream registry is having trouble; try again in a moment, or pull without --proxy",
      status,
      key: "UPSTREAM.gateway",
      params: { ...params, ...(words ? { said: words } : {}) },
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status >= 500) {
    return new RegistryError("UPSTREAM", `${host} answered ${status} for ${what}${detail}`, {
      hint: "the registry (or the proxy in front of it) is having trouble; try again in a moment",
      status,
      key: "UPSTREAM.status",
      params,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  return new RegistryError("UPSTREAM", `${host} answered ${status} for ${what}${detail}`, {
    hint: "this is not an answer a registry should give here; check the registry or proxy address",
    status,
    key: "UPSTREAM.unexpected",
    params,
  });
}

/**
 * A request that failed on its way through an HTTP proxy (the CLI's HTTPS_PROXY and
 * friends): which proxy, and the variable that chose it, so the message names them. Its
 * message and cause are those of the failure itself.
 */
export class ThroughProxyError extends Error {
  readonly proxy: string;
  readonly variable: string;

  constructor(failure: Error, proxy: string, variable: string) {
    super(failure.message, { cause: (failure as { cause?: unknown }).cause });
    this.name = "ThroughProxyError";
    this.proxy = proxy;
    this.variable = variable;
  }
}

/** `url`: what was asked; a plain-http one gets no --insecure advice (it is plain http already). */
export function networkError(error: unknown, host: string, what: string, url?: string): DockerdlError {
  if (error instanceof DockerdlError) return error;
  if (isAbortOrTimeout(error)) return new DockerdlError("CANCELLED", "the download was cancelled", { cause: error });
  const cause = error instanceof Error ? describeCause(error) : String(error);
  const params = { host, what, cause };
  const { code, message, options } = error instanceof ThroughProxyError
    ? causeOf("NETWORK.proxy", { ...params, proxy: error.proxy, variable: error.variable })
    : causeOf(isPlainHttp(host, url) ? "NETWORK.unreachable_http" : "NETWORK.unreachable", params);
  return new RegistryError(code, message, { ...options, cause: error });
}

/** Asked over http, or a loopback registry, which dockerdl always asks over http (client.ts's defaultBase). */
function isPlainHttp(host: string, url: string | undefined): boolean {
  return (url !== undefined && url.startsWith("http:")) || isLoopbackRegistry(host);
}

export function isAbortOrTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

// Node's fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND…) is in cause.
function describeCause(error: Error): string {
  const parts = [error.message];
  let cause = (error as { cause?: unknown }).cause;
  for (let depth = 0; depth < 3 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    parts.push(typeof code === "string" && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message);
    cause = (cause as { cause?: unknown }).cause;
  }
  return parts.filter(Boolean).join(": ");
}

function notServedIn(errors: readonly { detail?: unknown }[], said: string): { registry: string; known: string } | undefined {
  for (const e of errors) {
    const marked = readNotServed(e.detail);
    if (marked !== undefined) return { registry: marked.registry, known: marked.serves.join(", ") };
  }
  const worded = UNSERVED.exec(said);
  return worded === null ? undefined : { registry: worded[1], known: worded[2] };
}
