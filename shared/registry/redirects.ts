// Following redirects by hand (redirect: "manual"), for the registry client and for the
// mirror's requests upstream alike, so the rules are written once: at most MAX_REDIRECTS
// hops; a hop to another origin goes without the credentials of the first (a registry
// sends blob GETs to a CDN that must never see its token); every hop, the first included,
// passes the caller's guard (the mirror's address guard; the CLI has none); and a redirect
// without a Location, or one too many, is an error rather than an answer.

export const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** Headers that say who is asking: never sent on to an origin other than the one they were for. */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(["authorization", "proxy-authorization", "cookie"]);

/** What the follower reads of an answer: a global fetch's Response and shared/'s HttpResponse both are one. */
export interface RedirectAnswer {
  readonly status: number;
  /** "opaqueredirect" in browsers for redirect: "manual"; the Location is then hidden. */
  readonly type?: string;
  readonly headers: { get(name: string): string | null };
  readonly body: { cancel(reason?: unknown): Promise<void> } | null;
}

/** What the follower sets of a request: its headers, and who follows its redirects. */
export interface RedirectInit {
  headers?: Record<string, string>;
  redirect?: "follow" | "manual";
}

export interface RedirectRules {
  /** Called with every URL before it is asked, the first included; throws to refuse it. */
  guard?: (url: URL) => void;
  /** Hops followed at most (default MAX_REDIRECTS). */
  maxRedirects?: number;
}

/** A redirect that could not be followed: without a Location, one too many, or hidden from a guarded caller. */
export class RedirectError extends Error {
  readonly status: number;
  readonly reason: "no-location" | "too-many" | "hidden";

  constructor(reason: RedirectError["reason"], status: number, host: string) {
    super(`${host} ${reason === "no-location" ? "redirected without a Location" : reason === "too-many" ? "redirected too many times" : "redirected where it cannot be checked"}`);
    this.name = "RedirectError";
    this.reason = reason;
    this.status = status;
  }
}

/** The answer for `url` at the end of its redirects; `fetch` is called once a hop, with redirect: "manual". */
export async function followRedirects<I extends RedirectInit, R extends RedirectAnswer>(
  fetch: (url: string, init: I) => Promise<R>,
  url: string,
  init: I,
  rules: RedirectRules = {},
): Promise<R> {
  const max = rules.maxRedirects ?? MAX_REDIRECTS;
  let current = new URL(url);
  let headers = init.headers ?? {};
  for (let hop = 0; ; hop++) {
    rules.guard?.(current);
    const response = await fetch(current.href, { ...init, headers, redirect: "manual" });
    if (response.type === "opaqueredirect") {
      // A browser hides the Location: only it can follow, dropping Authorization across
      // origins itself (the Fetch spec); no guard would see those hops, so none may ask.
      if (rules.guard) throw new RedirectError("hidden", response.status, current.host);
      return fetch(current.href, { ...init, headers, redirect: "follow" });
    }
    if (!REDIRECT_STATUSES.has(response.status)) return response;
    const location = response.headers.get("location");
    await response.body?.cancel().catch(() => {});
    if (location === null) throw new RedirectError("no-location", response.status, current.host);
    if (hop >= max) throw new RedirectError("too-many", response.status, current.host);
    const next = new URL(location, current);
    // Once dropped they stay dropped: a CDN that redirects back must not get them either.
    if (next.origin !== current.origin) headers = withoutCredentials(headers);
    current = next;
  }
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase())));
}
