// The registry transport: every HTTP exchange the client has with a registry goes
// through here, so each rule is written once. It adds the Authorization the registry's
// challenge asks for (auth.ts), follows redirects itself and drops Authorization when
// the origin changes (blob GETs answer 307 to a CDN that must never see the token),
// turns every unwanted answer into a RegistryError (errors.ts), reads small bodies with
// a cap, and retries small requests on faults that may pass.
//
// It knows nothing of manifests or blobs: client.ts decides what to ask for.

import type { HttpFetch, HttpRequestInit, HttpResponse } from "../http.ts";
import { discardBody, readBody } from "../http.ts";
import { DockerdlError } from "../errors.ts";
import { RegistryAuth, type Credentials } from "./auth.ts";
import { retrying } from "../retry.ts";
import { errorFromResponse, networkError, RegistryError } from "./errors.ts";
import { followRedirects, RedirectError } from "./redirects.ts";

export interface TransportOptions {
  fetch: HttpFetch;
  credentials?: Credentials;
  /**
   * "manual" (default) follows redirects here, so Authorization never goes to another
   * origin. Browsers hide a manual redirect's Location; there "follow" lets the browser
   * do it (the Fetch spec drops Authorization across origins itself).
   */
  redirects?: "manual" | "follow";
  /** Retries of small requests on transient faults (default 3; blob retries are the engine's). */
  retries?: number;
  /** First retry delay, doubled each time (default 500 ms); a Retry-After wins. */
  retryDelayMs?: number;
  /** The clock for token lifetimes (tests). */
  now?: () => number;
}

/** Who a request is for: the registry's base URL, its name in messages, and the token scope. */
export interface AuthTarget {
  base: string;
  host: string;
  scope: string;
}

export class Transport {
  readonly #options: TransportOptions;
  readonly #auth: RegistryAuth;

  constructor(options: TransportOptions) {
    this.#options = options;
    this.#auth = new RegistryAuth(options.fetch, options.credentials, options.now);
  }

  get hasCredentials(): boolean {
    return this.#auth.hasCredentials;
  }

  /**
   * One authenticated request; resolves only with a 2xx. A 401 is answered once with the
   * challenge's token (or Basic credentials); a token that expired in between is renewed
   * the same way, so a long download re-authenticates by itself.
   */
  async request(target: AuthTarget, url: string, init: HttpRequestInit, what: string, signal?: AbortSignal): Promise<HttpResponse> {
    const { base, host, scope } = target;
    let authorization: string | undefined;
    try {
      authorization = await this.#auth.authorization(base, scope, signal);
    } catch (error) {
      throw networkError(error, host, what, base);
    }
    for (let attempt = 0; ; attempt++) {
      const headers = { ...init.headers, ...(authorization === undefined ? {} : { authorization }) };
      const { response, answeredBy } = await this.#follow(url, { ...init, headers, ...(signal ? { signal } : {}) }, host, what);
      if (response.status === 401 && new URL(answeredBy).origin !== new URL(base).origin) {
        // A challenge from where the registry redirected to (its CDN) is not the
        // registry's: answering it would send the password, or a token fetched with it,
        // to that host or to a realm it names.
        await discardBody(response);
        throw new RegistryError("UNAUTHORIZED", `${new URL(answeredBy).host}, where ${host} redirected ${what}, asks for credentials; dockerdl sends them only to ${host}`, {
          hint: "the registry's storage refused the download; try again later, or tell the registry's operator",
          status: 401,
        });
      }
      if (response.status === 401 && attempt === 0) {
        const challenge = response.headers.get("www-authenticate");
        await discardBody(response);
        authorization = await this.#auth.answerChallenge(base, challenge, scope, authorization, host, signal);
        continue;
      }
      if (response.status >= 200 && response.status < 300) return response;
      const error = await errorFromResponse(response, what, host);
      if (init.method !== "HEAD" && error.code === "UNAUTHORIZED" && this.#auth.hasCredentials) {
        throw new RegistryError("UNAUTHORIZED", `${error.message}: the credentials given do not allow pulling it`, {
          hint: "check the username and password, and that this account may pull the image",
          status: response.status,
          key: "UNAUTHORIZED.not_allowed",
          ...(error.params === undefined ? {} : { params: error.params }),
        });
      }
      throw error;
    }
  }

  /** A small body whole, at most `limit` bytes; larger or broken-off bodies fail naming `what`. */
  async readSmall(target: AuthTarget, url: string, headers: Record<string, string>, limit: number, what: string, signal?: AbortSignal): Promise<{ response: HttpResponse; bytes: Uint8Array }> {
    const response = await this.request(target, url, { method: "GET", headers }, what, signal);
    try {
      return { response, bytes: await readBody(response, limit) };
    } catch (error) {
      throw readError(error, target.host, what);
    }
  }

  /** fetch without auth, following redirects here so Authorization is dropped when the origin changes. */
  async send(url: string, init: HttpRequestInit, host: string, what: string): Promise<HttpResponse> {
    return (await this.#follow(url, init, host, what)).response;
  }

  /** send(), and the URL that gave the final answer (after any redirects). */
  async #follow(url: string, init: HttpRequestInit, host: string, what: string): Promise<{ response: HttpResponse; answeredBy: string }> {
    const fetch = this.#options.fetch;
    let asked = url;
    const hop: HttpFetch = async (hopUrl, hopInit) => {
      asked = hopUrl;
      try {
        return await fetch(hopUrl, hopInit);
      } catch (error) {
        throw networkError(error, new URL(hopUrl).host || host, what, hopUrl);
      }
    };
    if ((this.#options.redirects ?? "manual") === "follow") {
      const response = await hop(url, { ...init, redirect: "follow" });
      return { response, answeredBy: response.url || url };
    }
    try {
      const response = await followRedirects(hop, url, init);
      // A browser's hidden redirect is followed by the browser: its answer names where it ended.
      return { response, answeredBy: response.url || asked };
    } catch (error) {
      if (!(error instanceof RedirectError)) throw error;
      throw new RegistryError("UPSTREAM", `${host} redirected ${what} ${error.reason === "no-location" ? "without a Location" : "too many times"}`, {
        hint: "the registry or proxy is misconfigured; try again later",
        status: error.status,
      });
    }
  }

  /** Small requests (manifests, configs, tag lists) ride out a 5xx, a 429 or a dropped connection. */
  async retrying<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return retrying(attempt, {
      retries: this.#options.retries ?? 3,
      baseDelayMs: this.#options.retryDelayMs ?? 500,
      maxDelayMs: 30_000,
      maxRetryAfterMs: 30_000,
      ...(signal ? { signal } : {}),
    });
  }
}

function readError(error: unknown, host: string, what: string): DockerdlError {
  if (error instanceof RangeError) {
    return new DockerdlError("BAD_MANIFEST", `${what} from ${host} is too large: ${error.message}`, { hint: "this does not look like a container image" });
  }
  const mapped = networkError(error, host, what);
  return mapped.code === "NETWORK"
    ? new RegistryError("TRUNCATED", `the connection to ${host} broke while reading ${what}`, { hint: "try again", cause: error })
    : mapped;
}
