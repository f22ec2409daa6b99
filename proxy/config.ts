// The Worker's configuration, read once from its vars: which registries it may reach
// (DEFAULT_UPSTREAMS unless UPSTREAMS says otherwise), the Hub web API, how long tag
// resolutions and Hub answers are cached, the rate limits, the fill budget and CORS
// origins. Bad configuration is reported once, clearly, instead of surfacing as odd
// proxy errors.
// R2's limits come from cache/r2-limits.ts. CREDENTIAL_UPSTREAMS says which upstreams
// may be sent a client's own credentials (upstream/auth.ts).
// UPSTREAM_AUTH and TOKEN_SECRET are secrets, read here with the vars: UPSTREAM_AUTH's
// errors name the key and the field, never a value.
import { DEFAULT_PART_SIZE, R2_MAX_SINGLE_PUT, R2_MIN_PART } from "./cache/r2-limits.ts";

/** The Worker's vars (wrangler.toml's [vars] or `--var`), all strings; bindings are in index.ts's Env. */
export interface Vars {
  UPSTREAMS?: string;
  HUB_API?: string;
  TAG_TTL?: string;
  RATE_LIMIT?: string;
  /** Blob requests a minute per client; unset, ten times RATE_LIMIT (0 turns it off). */
  BLOB_RATE_LIMIT?: string;
  /** Bytes of background fills a client may start an hour (cache/fill-budget.ts); default 10 GiB, 0 for no budget. */
  FILL_BUDGET?: string;
  ALLOWED_ORIGINS?: string;
  /** Bytes above which a blob goes to R2 by multipart upload (default and maximum 5 GiB − 5 MiB, R2's); lowered only by tests. */
  R2_SINGLE_PUT_LIMIT?: string;
  /** Bytes per part of a multipart fill (default 32 MiB, at least R2's 5 MiB); lowered only by tests. */
  FILL_PART_SIZE?: string;
  /** Bytes one R2 read of a cached blob asks for at most (cache/windowed-read.ts; default 32 MiB); lowered only by tests. */
  R2_READ_WINDOW?: string;
  SEARCH_TTL?: string;
  POPULAR_TTL?: string;
  DETAILS_TTL?: string;
  /** Seconds a background fill goes on after the last byte a client read of its blob. */
  FILL_IDLE?: string;
  /** Seconds an upstream's answer may take to send its headers, redirects included (default 30; 0: no limit). */
  UPSTREAM_HEADERS_TIMEOUT?: string;
  /** Seconds an upstream's body may stand still (for a blob the mirror resumes: one 4 MiB read may take) before the mirror gives up on it, or resumes a blob (default 60; 0: no limit). */
  UPSTREAM_IDLE_TIMEOUT?: string;
  /**
   * The account's Workers plan, "free" (default) or "paid": what one request may spend.
   * Free: 10 ms of CPU and 50 subrequests, so /api/download refuses larger images
   * (api/subrequest-budget.ts) and a blob too large for one R2 put is relayed but never
   * cached (its multipart fill hashes it, which needs Paid's CPU).
   */
  PLAN?: string;
  /** A Paid account's own per-request subrequest limit, when it changed `limits.subrequests` (default 10,000). */
  SUBREQUEST_LIMIT?: string;
  /**
   * Secret (`wrangler secret put UPSTREAM_AUTH`): the operator's account per UPSTREAMS key,
   * `{"docker.io":{"username":"u","password":"p"}}`, for anonymous pulls of public images
   * (upstream/operator.ts).
   */
  UPSTREAM_AUTH?: string;
  /** Secret (`wrangler secret put TOKEN_SECRET`) the tokens for Basic-auth upstreams are sealed with; see upstream/sealed-token.ts. */
  TOKEN_SECRET?: string;
  /**
   * The UPSTREAMS keys a client's own credentials may be sent to, comma-separated (default
   * "docker.io"; empty: none). Every other upstream is asked anonymously, whatever the
   * client gave: a path naming an upstream must not be a way to send it the client's password.
   */
  CREDENTIAL_UPSTREAMS?: string;
}

/** How long an upstream may take (upstream/deadline.ts enforces them). */
export interface UpstreamDeadlines {
  /** Milliseconds an answer's headers may take, redirect hops included; 0: no limit. */
  headersMs: number;
  /** Milliseconds a body may stand still (a blob the mirror resumes: one 4 MiB read may take); 0: no limit. */
  idleMs: number;
}

/** UPSTREAM_HEADERS_TIMEOUT and UPSTREAM_IDLE_TIMEOUT unset: 30 s for headers, 60 s of silence. */
export const DEFAULT_DEADLINES: UpstreamDeadlines = { headersMs: 30_000, idleMs: 60_000 };

export interface UpstreamCredentials {
  username: string;
  password: string;
}

export interface Config {
  upstreams: Map<string, URL>;
  hubApi: URL;
  tagTtlSeconds: number;
  rateLimitPerMinute: number;
  /** Blob requests (GET and HEAD) a minute per client, counted apart from rateLimitPerMinute. */
  blobRateLimitPerMinute: number;
  /** Bytes of background fills one client may start an hour; 0: no budget. */
  fillBudget: number;
  allowedOrigins: string[];
  singlePutLimit: number;
  /** Bytes per part of a multipart fill (fill/blob-fill.ts). */
  fillPartSize: number;
  /** The most one R2 read of a cached blob asks for; larger reads are a sequence of these. */
  readWindow: number;
  /** How long the seed API keeps Docker Hub's answers: search, popular images, image details. */
  searchTtlMs: number;
  popularTtlMs: number;
  detailsTtlMs: number;
  /** How long a background fill goes on with no client reading its blob. */
  fillIdleMs: number;
  /** How long an upstream may take to answer, and to stand still in a body (upstream/deadline.ts). */
  upstreamDeadlines: UpstreamDeadlines;
  /** The operator's credentials per UPSTREAMS key (UPSTREAM_AUTH); never sent to a client. */
  upstreamAuth: Map<string, UpstreamCredentials>;
  /** The Workers plan (PLAN), and a Paid account's own subrequest limit (SUBREQUEST_LIMIT). */
  plan: "free" | "paid";
  subrequestLimit: number | undefined;
  /** TOKEN_SECRET (upstream/sealed-token.ts); never sent to a client. Unset: each isolate seals with a random key of its own. */
  tokenSecret: string | undefined;
  /** The UPSTREAMS keys a client's credentials are forwarded to (CREDENTIAL_UPSTREAMS); the rest are asked anonymously. */
  credentialUpstreams: Set<string>;
}

/**
 * The config and the clock, passed down to whatever reaches an upstream or decides by
 * time, never set as module state per request. The Worker's clock is Date.now; the test
 * Worker's can be moved forward, so a test of a time limit does not wait it out.
 */
export interface ProxyContext {
  config: Config;
  /** Milliseconds since the epoch; a plain function, which caches that outlive a request may keep. */
  now: () => number;
}

/**
 * A cached blob is read from R2 at most this many bytes at a time: what a read can hold
 * in memory, against one R2 read per window (a 10 GiB blob is 320 reads).
 */
const R2_READ_WINDOW = 32 * 1024 ** 2;
const MIN_READ_WINDOW = 64 * 1024;

/** BLOB_RATE_LIMIT, unset, is this many times RATE_LIMIT (1,000 blob requests a minute by default). */
const BLOB_RATE_FACTOR = 10;
/** FILL_BUDGET, unset: 10 GiB of fills a client an hour, more than a large image pulled whole needs. */
const DEFAULT_FILL_BUDGET = 10 * 1024 ** 3;

/** The registries a mirror serves when UPSTREAMS is not set: the list, kept only here. */
export const DEFAULT_UPSTREAMS: Record<string, string> = {
  "docker.io": "https://registry-1.docker.io",
  "ghcr.io": "https://ghcr.io",
  "quay.io": "https://quay.io",
  "gcr.io": "https://gcr.io",
  "registry.k8s.io": "https://registry.k8s.io",
  "mcr.microsoft.com": "https://mcr.microsoft.com",
  "public.ecr.aws": "https://public.ecr.aws",
  "nvcr.io": "https://nvcr.io",
};

export class ConfigError extends Error {}

const cache = new WeakMap<object, Config>();

export function loadConfig(env: Vars): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const upstreams = parseUpstreams(env.UPSTREAMS);
  const rateLimitPerMinute = parseNumber(env.RATE_LIMIT, 100, "RATE_LIMIT");
  const config: Config = {
    upstreams,
    hubApi: parseUrl(env.HUB_API ?? "https://hub.docker.com", "HUB_API"),
    tagTtlSeconds: parseNumber(env.TAG_TTL, 300, "TAG_TTL"),
    rateLimitPerMinute,
    // A pull is a few requests for manifests and one or more per blob (the CLI and the app
    // read large blobs in 16 MiB ranges): blobs get a limit of their own, far higher.
    blobRateLimitPerMinute: parseNumber(env.BLOB_RATE_LIMIT, BLOB_RATE_FACTOR * rateLimitPerMinute, "BLOB_RATE_LIMIT"),
    fillBudget: parseNumber(env.FILL_BUDGET, DEFAULT_FILL_BUDGET, "FILL_BUDGET"),
    allowedOrigins: (env.ALLOWED_ORIGINS ?? "*").split(",").map((s) => s.trim()).filter(Boolean),
    singlePutLimit: Math.min(parseNumber(env.R2_SINGLE_PUT_LIMIT, R2_MAX_SINGLE_PUT, "R2_SINGLE_PUT_LIMIT"), R2_MAX_SINGLE_PUT),
    fillPartSize: Math.max(parseNumber(env.FILL_PART_SIZE, DEFAULT_PART_SIZE, "FILL_PART_SIZE"), R2_MIN_PART),
    readWindow: Math.max(Math.floor(parseNumber(env.R2_READ_WINDOW, R2_READ_WINDOW, "R2_READ_WINDOW")), MIN_READ_WINDOW),
    // The lifetimes users were promised: search 5 min, popular 1 h, details 30 min.
    searchTtlMs: parseNumber(env.SEARCH_TTL, 300, "SEARCH_TTL") * 1000,
    popularTtlMs: parseNumber(env.POPULAR_TTL, 3600, "POPULAR_TTL") * 1000,
    detailsTtlMs: parseNumber(env.DETAILS_TTL, 1800, "DETAILS_TTL") * 1000,
    fillIdleMs: parseNumber(env.FILL_IDLE, 30, "FILL_IDLE") * 1000,
    upstreamDeadlines: {
      headersMs: parseNumber(env.UPSTREAM_HEADERS_TIMEOUT, DEFAULT_DEADLINES.headersMs / 1000, "UPSTREAM_HEADERS_TIMEOUT") * 1000,
      idleMs: parseNumber(env.UPSTREAM_IDLE_TIMEOUT, DEFAULT_DEADLINES.idleMs / 1000, "UPSTREAM_IDLE_TIMEOUT") * 1000,
    },
    upstreamAuth: parseUpstreamAuth(env.UPSTREAM_AUTH, upstreams),
    ...parsePlan(env.PLAN, env.SUBREQUEST_LIMIT),
    tokenSecret: env.TOKEN_SECRET || undefined,
    credentialUpstreams: parseCredentialUpstreams(env.CREDENTIAL_UPSTREAMS, upstreams),
  };
  cache.set(env, config);
  return config;
}

function parseUpstreams(raw: string | undefined): Map<string, URL> {
  let object: unknown = DEFAULT_UPSTREAMS;
  if (raw !== undefined && raw.trim() !== "") {
    try {
      object = JSON.parse(raw);
    } catch {
      throw new ConfigError(`UPSTREAMS is not valid JSON; expected e.g. {"docker.io":"https://registry-1.docker.io"}`);
    }
  }
  if (typeof object !== "object" || object === null || Array.isArray(object)) {
    throw new ConfigError("UPSTREAMS must be a JSON object of registry name -> base URL");
  }
  const map = new Map<string, URL>();
  for (const [key, value] of Object.entries(object)) {
    if (typeof value !== "string") throw new ConfigError(`UPSTREAMS["${key}"] must be a URL string`);
    map.set(key.toLowerCase(), parseUrl(value, `UPSTREAMS["${key}"]`));
  }
  return map;
}

const AUTH_EXAMPLE = `e.g. {"docker.io":{"username":"me","password":"<access token>"}}`;

/** UPSTREAM_AUTH: every key one of UPSTREAMS, every entry a non-empty username and password. */
function parseUpstreamAuth(raw: string | undefined, upstreams: Map<string, URL>): Map<string, UpstreamCredentials> {
  const map = new Map<string, UpstreamCredentials>();
  if (raw === undefined || raw.trim() === "") return map;
  let object: unknown;
  try {
    object = JSON.parse(raw);
  } catch {
    throw new ConfigError(`UPSTREAM_AUTH is not valid JSON; expected ${AUTH_EXAMPLE}`);
  }
  if (typeof object !== "object" || object === null || Array.isArray(object)) {
    throw new ConfigError(`UPSTREAM_AUTH must be a JSON object of UPSTREAMS key -> {username, password}; ${AUTH_EXAMPLE}`);
  }
  for (const [name, entry] of Object.entries(object)) {
    const key = name.toLowerCase();
    // The key alone is echoed: it is a registry name, not a secret (a password pasted as a key is cut short).
    const shown = JSON.stringify(name.length > 64 ? `${name.slice(0, 16)}…` : name);
    if (!upstreams.has(key)) throw new ConfigError(`UPSTREAM_AUTH names ${shown}, which is not a registry in UPSTREAMS (${[...upstreams.keys()].join(", ")})`);
    const { username, password } = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    if (typeof username !== "string" || username === "" || typeof password !== "string" || password === "") {
      throw new ConfigError(`UPSTREAM_AUTH[${shown}] needs a non-empty "username" and "password" (strings); ${AUTH_EXAMPLE}`);
    }
    map.set(key, { username, password });
  }
  return map;
}

/**
 * CREDENTIAL_UPSTREAMS: UPSTREAMS keys, comma-separated. Unset, docker.io (whether it is
 * served or not); set, every key it names must be one of UPSTREAMS.
 */
function parseCredentialUpstreams(raw: string | undefined, upstreams: Map<string, URL>): Set<string> {
  if (raw === undefined) return new Set(["docker.io"]);
  const keys = raw.split(",").map((key) => key.trim().toLowerCase()).filter(Boolean);
  for (const key of keys) {
    if (!upstreams.has(key)) throw new ConfigError(`CREDENTIAL_UPSTREAMS names "${key}", which is not a registry in UPSTREAMS (${[...upstreams.keys()].join(", ")})`);
  }
  return new Set(keys);
}

function parsePlan(plan: string | undefined, limit: string | undefined): Pick<Config, "plan" | "subrequestLimit"> {
  const name = (plan ?? "").trim().toLowerCase() || "free";
  if (name !== "free" && name !== "paid") throw new ConfigError(`PLAN must be "free" or "paid" (the account's Workers plan), got "${plan}"`);
  if (limit === undefined || limit.trim() === "") return { plan: name, subrequestLimit: undefined };
  if (name === "free") throw new ConfigError("SUBREQUEST_LIMIT is for a Workers Paid account that changed limits.subrequests; the Free plan's limit is fixed (set PLAN=paid if the account is on Paid)");
  const n = Number(limit);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`SUBREQUEST_LIMIT must be a whole number of subrequests per request, got "${limit}"`);
  return { plan: name, subrequestLimit: n };
}

function parseUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${what} is not a URL: ${value}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new ConfigError(`${what} must be http or https: ${value}`);
  url.pathname = url.pathname.replace(/\/+$/, "");
  return url;
}

function parseNumber(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${what} must be a non-negative number, got "${value}"`);
  return n;
}
