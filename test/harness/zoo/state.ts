// What the zoo's servers share and tests steer and read: the knobs (token and signed-URL
// lifetimes, a throttle on blob bodies, Hub's pull limits, anonymous and per account;
// accounts and the private repositories they own), an epoch before which every
// token and signed URL counts as expired (a test's "five minutes later"), tokens, a
// log of every request each zoo host answered, the connections open at each member, and
// which blobs had their first GET (the one the cutting members cut).
import { createHmac, randomBytes, randomUUID } from "node:crypto";

export interface ZooLogEntry {
  member: string;
  /** "registry", "auth", or "hop<n>" for the hosts blobs are redirected to. */
  role: string;
  method: string;
  path: string;
  status: number;
  /** Whether the request carried an Authorization header. */
  authorization: boolean;
  /** Blob body bytes sent. */
  bytes: number;
  /** Why a request was refused, when it was (e.g. "expired-url", "expired-token"). */
  refused?: string;
  /** The account whose token a registry request carried. */
  account?: string;
}

interface Token {
  member: string;
  /** The account that asked for it; none for an anonymous token. */
  account?: string;
  scopes: Set<string>;
  issued: number;
  expires: number;
}

export class ZooState {
  /** Seconds a token says it lives (Hub: 300) and does live. */
  tokenSeconds = 300;
  /** How long a signed blob URL is good for (Hub's CDN: minutes; tests shorten it). */
  urlMs = 60_000;
  /** Blob body bytes per second at the storage hosts, 0 for unlimited. */
  throttle = 0;
  /** Hub's anonymous manifest GETs per window before a 429. */
  hubLimit = 1000;
  hubCount = 0;
  /** Hub's manifest GETs per account and window before a 429 (each account counted apart). */
  hubAccountLimit = 1000;
  hubAccountCounts = new Map<string, number>();
  /** username → password, for the token services' Basic authentication. */
  accounts = new Map<string, string>();
  /** "<member>/<repository>" → the one account that may pull it. */
  privateRepositories = new Map<string, string>();
  log: ZooLogEntry[] = [];
  /** member → its hosts' connections open now and the most open at once since the last reset. */
  readonly sockets = new Map<string, { open: number; max: number }>();
  /** "<member>/<digest>" of the blobs whose first GET was cut already. */
  readonly #cut = new Set<string>();
  #epoch = 0;
  readonly #tokens = new Map<string, Token>();
  readonly #key = randomBytes(32);

  /** Everything issued until now expires: tokens and signed URLs alike. */
  expireAll(): void {
    this.#epoch = Date.now() + 1;
  }

  /** `seconds`: the member's own token lifetime, when it has one. */
  issueToken(member: string, scopes: string[], account?: string, seconds = this.tokenSeconds): string {
    const value = `zoo.${randomUUID()}`;
    this.#tokens.set(value, { member, scopes: new Set(scopes), issued: Date.now(), expires: Date.now() + seconds * 1000, ...(account ? { account } : {}) });
    return value;
  }

  /** Every token issued to `account`, to prove none reached a client. */
  tokensOf(account: string): string[] {
    return [...this.#tokens].filter(([, token]) => token.account === account).map(([value]) => value);
  }

  /** The account a valid token of `member` was issued to; undefined for an anonymous one. */
  accountOf(member: string, authorization: string | undefined): string | undefined {
    const value = /^Bearer (.+)$/i.exec(authorization ?? "")?.[1];
    const token = value === undefined ? undefined : this.#tokens.get(value);
    return token?.member === member ? token.account : undefined;
  }

  /** "ok", or why the Authorization does not let `member` serve `scope` (undefined scope: any valid token). */
  checkToken(member: string, authorization: string | undefined, scope?: string): "ok" | "missing" | "expired-token" | "insufficient-scope" {
    const value = /^Bearer (.+)$/i.exec(authorization ?? "")?.[1];
    const token = value === undefined ? undefined : this.#tokens.get(value);
    if (!token || token.member !== member) return "missing";
    if (token.expires <= Date.now() || token.issued < this.#epoch) return "expired-token";
    if (scope !== undefined && !token.scopes.has(scope)) return "insufficient-scope";
    return "ok";
  }

  /** `ms`: the member's own URL lifetime, when it has one. */
  sign(path: string, ms = this.urlMs): string {
    const issued = Date.now();
    const expires = issued + ms;
    return `${path}?expires=${expires}&issued=${issued}&sig=${this.#mac(path, expires, issued)}`;
  }

  /** "ok", or why a signed URL is refused. */
  checkSigned(url: URL): "ok" | "bad-signature" | "expired-url" {
    const expires = Number(url.searchParams.get("expires"));
    const issued = Number(url.searchParams.get("issued"));
    if (url.searchParams.get("sig") !== this.#mac(url.pathname, expires, issued)) return "bad-signature";
    if (expires <= Date.now() || issued < this.#epoch) return "expired-url";
    return "ok";
  }

  #mac(path: string, expires: number, issued: number): string {
    return createHmac("sha256", this.#key).update(`${path}|${expires}|${issued}`).digest("hex").slice(0, 32);
  }

  /** A connection to one of `member`'s hosts opened; the result is to be called when it closes. */
  socketOpened(member: string): () => void {
    let count = this.sockets.get(member);
    if (count === undefined) this.sockets.set(member, (count = { open: 0, max: 0 }));
    count.open++;
    count.max = Math.max(count.max, count.open);
    const c = count;
    return () => void c.open--;
  }

  /** True the first time a blob of `member` is asked for since the last reset: that GET is to be cut. */
  firstGet(member: string, digest: string): boolean {
    const key = `${member}/${digest}`;
    if (this.#cut.has(key)) return false;
    this.#cut.add(key);
    return true;
  }

  /** Blob body bytes a member's hosts sent since the log was last cleared. */
  blobBytes(member: string): number {
    return this.log.filter((e) => e.member === member).reduce((n, e) => n + e.bytes, 0);
  }

  reset(): void {
    this.log = [];
    this.throttle = 0;
    this.hubCount = 0;
    this.hubAccountCounts.clear();
    this.#cut.clear();
    for (const count of this.sockets.values()) count.max = count.open;
  }
}
