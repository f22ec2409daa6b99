// The registry token dance, as docker does it: a request answered 401 carries a
// WWW-Authenticate challenge; Bearer means "get a token from realm for this service and
// scope" (anonymously, or with Basic credentials), Basic means "send the password".
// Tokens are cached per realm, service and scope until they expire, and a registry's
// challenge is remembered so later requests carry a token from the start instead of
// collecting a 401 each. The steps are exported too (discoverChallenge, tokenUrl,
// requestToken, readTokenAnswer): the mirror's /token and its operator account
// (proxy/token.ts, proxy/upstream/operator.ts) take them through their own guarded fetch.

import type { HttpFetch, HttpRequestInit, HttpResponse } from "../http.ts";
import { discardBody, readBody } from "../http.ts";
import { findChallenge, parseChallenges, type Challenge } from "../www-authenticate.ts";
import { AUTH_HINT, errorFromResponse, networkError, RegistryError } from "./errors.ts";

export interface Credentials {
  username: string;
  password: string;
  /**
   * Where they were read from, in words for a hint (a docker or podman config file, as
   * the CLI found it); absent for --username and --password-stdin.
   */
  source?: string;
}

/** What to do when the registry rejects `credentials`: check the flags, or log in again where they came from. */
export function rejectedCredentialsHint(credentials: Credentials | undefined): string {
  if (credentials?.source === undefined) return "check the username and password given with --username and --password-stdin";
  return `the username and password were read from ${credentials.source}: log in again (docker login or podman login), or give them with --username and --password-stdin`;
}

interface CachedToken {
  value: string;
  expires: number;
}

/** Tokens live 60 s when the token service does not say (the distribution spec's default). */
const DEFAULT_TOKEN_SECONDS = 60;
/** A token answer is a JWT or two and an expiry: a few KiB; more is not a token service. */
export const TOKEN_ANSWER_LIMIT = 64 << 10;
/** Renew this long before expiry, so a token does not lapse between check and use. */
const EXPIRY_MARGIN_MS = 10_000;

export class RegistryAuth {
  readonly #fetch: HttpFetch;
  readonly #credentials?: Credentials;
  /** base URL → the challenge it answered with. */
  readonly #challenges = new Map<string, Challenge>();
  readonly #tokens = new Map<string, CachedToken>();
  readonly #pending = new Map<string, Promise<string>>();
  readonly #now: () => number;

  constructor(fetch: HttpFetch, credentials?: Credentials, now: () => number = Date.now) {
    this.#fetch = fetch;
    this.#now = now;
    if (credentials !== undefined) this.#credentials = credentials;
  }

  get hasCredentials(): boolean {
    return this.#credentials !== undefined;
  }

  /** The Authorization header to send up front, once `base` has challenged us before. */
  async authorization(base: string, scope: string, signal?: AbortSignal): Promise<string | undefined> {
    const challenge = this.#challenges.get(base);
    if (challenge === undefined) return undefined;
    return this.#answer(challenge, scope, signal);
  }

  /**
   * Answers a 401: remembers the challenge and returns the Authorization to retry with.
   * `failed` is the Authorization that was refused, so a cached token is not offered twice.
   */
  async answerChallenge(base: string, header: string | null, scope: string, failed: string | undefined, host: string, signal?: AbortSignal): Promise<string> {
    const challenge = pickChallenge(header);
    if (challenge === undefined) {
      throw new RegistryError("UNAUTHORIZED", `${host} asks for authentication but does not say how (no usable WWW-Authenticate challenge)`, {
        hint: "check the registry address; dockerdl speaks the Bearer token and Basic schemes",
        status: 401,
        key: "UNAUTHORIZED.no_challenge",
        params: { host },
      });
    }
    resolveRealm(challenge, base);
    this.#challenges.set(base, challenge);
    const scopeToUse = challenge.params.scope || scope;
    if (challenge.scheme.toLowerCase() === "bearer") this.#tokens.delete(tokenKey(challenge, scopeToUse));
    const answer = await this.#answer(challenge, scopeToUse, signal);
    if (answer === failed && challenge.scheme.toLowerCase() === "basic") {
      throw new RegistryError("UNAUTHORIZED", `${host} rejected the username or password`, {
        hint: rejectedCredentialsHint(this.#credentials),
        status: 401,
        key: "UNAUTHORIZED.credentials",
        params: { host },
      });
    }
    return answer;
  }

  async #answer(challenge: Challenge, scope: string, signal?: AbortSignal): Promise<string> {
    if (challenge.scheme.toLowerCase() === "basic") {
      if (this.#credentials === undefined) {
        throw new RegistryError("UNAUTHORIZED", "the registry requires a username and password", { hint: AUTH_HINT, status: 401, key: "UNAUTHORIZED.needs_credentials" });
      }
      return basicAuthorization(this.#credentials);
    }
    const key = tokenKey(challenge, scope);
    const cached = this.#tokens.get(key);
    if (cached !== undefined && cached.expires > this.#now()) return `Bearer ${cached.value}`;
    // Parallel blob requests share one token request.
    let pending = this.#pending.get(key);
    if (pending === undefined) {
      pending = this.#fetchToken(challenge, scope, signal).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return `Bearer ${await pending}`;
  }

  async #fetchToken(challenge: Challenge, scope: string, signal?: AbortSignal): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) {
      throw new RegistryError("UNAUTHORIZED", "the registry's Bearer challenge names no realm to get a token from", {
        hint: "the registry is misconfigured; tell its operator",
        status: 401,
      });
    }
    let url: URL;
    try {
      url = tokenUrl(realm, challenge.params.service, scope.split(" ").filter(Boolean));
    } catch {
      throw new RegistryError("UNAUTHORIZED", `the registry's token realm ${JSON.stringify(realm)} is not a URL`, { hint: "the registry is misconfigured; tell its operator" });
    }
    const what = "a token";
    let response;
    try {
      response = await requestToken(this.#fetch, url, this.#credentials && basicAuthorization(this.#credentials), signal);
    } catch (error) {
      throw networkError(error, url.host, what, url.href);
    }
    if (response.status === 401 || response.status === 403) {
      await discardBody(response);
      throw new RegistryError("UNAUTHORIZED", `the token service ${url.host} rejected the username or password`, {
        hint: rejectedCredentialsHint(this.#credentials),
        status: response.status,
        key: "UNAUTHORIZED.credentials",
        params: { host: url.host },
      });
    }
    if (response.status !== 200) throw await errorFromResponse(response, what, url.host);
    let answer: TokenAnswer;
    try {
      answer = await readTokenAnswer(response);
    } catch (error) {
      throw new RegistryError("UPSTREAM", `the token service ${url.host} answered something that is not a token (${error instanceof Error ? error.message : String(error)})`, {
        hint: "check the registry or proxy address",
      });
    }
    if (!answer.token) {
      throw new RegistryError("UPSTREAM", `the token service ${url.host} answered without a token`, { hint: "check the registry or proxy address" });
    }
    const seconds = answer.expiresIn ?? DEFAULT_TOKEN_SECONDS;
    this.#tokens.set(tokenKey(challenge, scope), { value: answer.token, expires: this.#now() + Math.max(seconds * 1000 - EXPIRY_MARGIN_MS, 1000) });
    return answer.token;
  }
}

/** Bearer wins over Basic when a registry offers both: it works anonymously too. */
function pickChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  return findChallenge(header, "bearer") ?? parseChallenges(header).find((c) => c.scheme.toLowerCase() === "basic");
}

/** A realm may be relative to the registry (some registries answer "/token"); one that is no URL is left as is, for the token request to refuse. */
function resolveRealm(challenge: Challenge, base: string): void {
  if (!challenge.params.realm) return;
  try {
    challenge.params.realm = new URL(challenge.params.realm, base).href;
  } catch {
    // left as is
  }
}

/**
 * How a registry wants to be authenticated, asked the way docker does before its first
 * request: an anonymous GET of `<base>/v2/`. Its challenge (Bearer preferred over Basic,
 * a relative realm resolved against `base`), or null when the registry asks for none
 * (any answer but 401) or for no scheme spoken here. The request goes through the
 * caller's `fetch`, so the caller's guard decides whether the registry may be contacted.
 */
export async function discoverChallenge(fetch: HttpFetch, base: string, signal?: AbortSignal): Promise<Challenge | null> {
  const response = await fetch(`${base.replace(/\/+$/, "")}/v2/`, { method: "GET", headers: {}, ...(signal ? { signal } : {}) });
  await discardBody(response);
  if (response.status !== 401) return null;
  const challenge = pickChallenge(response.headers.get("www-authenticate"));
  if (challenge === undefined) return null;
  resolveRealm(challenge, base);
  return challenge;
}

/** A token service's URL: the realm, with `service` and every scope as query parameters. Throws TypeError when the realm is not a URL. */
export function tokenUrl(realm: string, service: string | undefined, scopes: readonly string[]): URL {
  const url = new URL(realm);
  if (service) url.searchParams.set("service", service);
  for (const scope of scopes) url.searchParams.append("scope", scope);
  return url;
}

/**
 * Asks a token service (`url` from tokenUrl) for a token: anonymously, or with the Basic
 * `authorization` given. Through the caller's `fetch`, so its guard applies to the realm.
 */
export function requestToken<R extends HttpResponse>(fetch: (url: string, init: HttpRequestInit) => Promise<R>, url: URL, authorization?: string, signal?: AbortSignal): Promise<R> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (authorization !== undefined) headers.authorization = authorization;
  return fetch(url.href, { method: "GET", headers, ...(signal ? { signal } : {}) });
}

/** A token service's answer, read. */
export interface TokenAnswer {
  /** `token`, or OAuth2's `access_token` when `token` is missing or empty; "" when there is neither. */
  token: string;
  /** Seconds the token lives, when the answer says (a positive number). */
  expiresIn?: number;
  /** The answer as sent, for a caller that passes it on (the mirror's /token). */
  body: Record<string, unknown>;
}

/** A token service's answer that is no JSON object. */
export class NotATokenAnswer extends Error {}

/**
 * The answer of a token service that answered 200: a JSON object of at most
 * TOKEN_ANSWER_LIMIT bytes. Throws RangeError past the cap (the read stopped, the
 * connection released), NotATokenAnswer for anything but a JSON object, and whatever the
 * body's read throws.
 */
export async function readTokenAnswer(response: HttpResponse): Promise<TokenAnswer> {
  const bytes = await readBody(response, TOKEN_ANSWER_LIMIT);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new NotATokenAnswer(error instanceof Error ? error.message : String(error));
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new NotATokenAnswer("not a JSON object");
  const fields = body as Record<string, unknown>;
  const token = typeof fields.token === "string" && fields.token ? fields.token : typeof fields.access_token === "string" ? fields.access_token : "";
  const answer: TokenAnswer = { token, body: fields };
  if (typeof fields.expires_in === "number" && fields.expires_in > 0) answer.expiresIn = fields.expires_in;
  return answer;
}

function tokenKey(challenge: Challenge, scope: string): string {
  return `${challenge.params.realm ?? ""}\n${challenge.params.service ?? ""}\n${scope}`;
}

export function basicAuthorization(credentials: Credentials): string {
  // btoa takes Latin-1 only; encode UTF-8 first so any password works.
  const bytes = new TextEncoder().encode(`${credentials.username}:${credentials.password}`);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return `Basic ${btoa(binary)}`;
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}
