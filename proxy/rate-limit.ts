// Per-client rate limits: RATE_LIMIT requests a minute per client IP (CF-Connecting-IP;
// an IPv6 client counts as its /64) for the registry API, manifests, /token and the seed
// API, and BLOB_RATE_LIMIT blob requests a minute, counted apart: one image pull makes
// many blob requests (the CLI and the app read large layers in 16 MiB ranges), so blobs
// get a far higher limit of their own (unset, ten times RATE_LIMIT), which an ordinary
// pull never reaches but which bounds a client's flood of cheap one-byte ranges.
//
// The counters are sliding windows kept in the isolate's memory. That works the same under
// `wrangler dev` and in production and needs no binding, but in production it is per
// isolate: a client spread over several Cloudflare machines gets the limit on each. An
// operator who wants a per-location limit adds the Workers Rate Limiting binding
// RATE_LIMITER (see wrangler.toml); it is consulted as well when present, for requests
// other than blobs (its one configured limit is RATE_LIMIT's).

const WINDOW_MS = 60_000;
const MAX_TRACKED = 10_000;

interface Counter {
  windowStart: number;
  current: number;
  previous: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Seconds until a request would be allowed again. */
  retryAfter: number;
}

export class RateLimiter {
  private readonly counters = new Map<string, Counter>();

  /** Counts one request from `client` at `now`; refused when the last minute holds `limit` already. */
  take(client: string, limit: number, now: number = Date.now()): RateDecision {
    if (limit <= 0) return { allowed: true, retryAfter: 0 };
    const windowStart = now - (now % WINDOW_MS);
    let counter = this.counters.get(client);
    if (!counter) {
      if (this.counters.size >= MAX_TRACKED) this.makeRoom(now, limit);
      counter = { windowStart, current: 0, previous: 0 };
      this.counters.set(client, counter);
    } else if (counter.windowStart !== windowStart) {
      counter.previous = windowStart - counter.windowStart === WINDOW_MS ? counter.current : 0;
      counter.current = 0;
      counter.windowStart = windowStart;
    }
    // Sliding window: the previous minute counts in proportion to how much of it is still
    // inside the last 60 s, so a client can't burst 2x the limit across a boundary.
    const elapsed = (now - windowStart) / WINDOW_MS;
    const estimate = counter.previous * (1 - elapsed) + counter.current;
    if (estimate >= limit) {
      const retryAfter = Math.max(1, Math.ceil((WINDOW_MS - (now - windowStart)) / 1000));
      return { allowed: false, retryAfter };
    }
    counter.current++;
    return { allowed: true, retryAfter: 0 };
  }

  /** Clients tracked now (bounded by MAX_TRACKED). */
  get size(): number {
    return this.counters.size;
  }

  /**
   * Frees a tenth of the table, oldest clients first (a Map iterates in insertion
   * order). Clients at their limit are skipped, so a flood of new addresses (IPv6
   * /64s are cheap) cannot push a blocked client out and unblock it; only when every
   * tracked client is blocked do the oldest of them go.
   */
  private makeRoom(now: number, limit: number) {
    const target = MAX_TRACKED - MAX_TRACKED / 10;
    for (const [key, counter] of this.counters) {
      if (this.counters.size <= target) return;
      const expired = now - counter.windowStart >= 2 * WINDOW_MS;
      if (expired || counter.current + counter.previous < limit) this.counters.delete(key);
    }
    for (const key of this.counters.keys()) {
      if (this.counters.size <= target) return;
      this.counters.delete(key);
    }
  }
}

/** The key a client is counted under. */
export function clientKey(request: Request): string {
  const ip = request.headers.get("cf-connecting-ip")?.trim();
  if (!ip) return "unknown";
  if (!ip.includes(":")) return ip;
  // An IPv6 host usually owns a whole /64: count the prefix, not each address.
  const groups = expandIPv6(ip);
  return groups ? `${groups.slice(0, 4).join(":")}::/64` : ip;
}

function expandIPv6(ip: string): string[] | null {
  const [head, tail] = ip.split("::");
  if (ip.split("::").length > 2) return null;
  const left = head ? head.split(":") : [];
  const right = tail !== undefined && tail !== "" ? tail.split(":") : [];
  if (tail === undefined && left.length !== 8) return null;
  const missing = 8 - left.length - right.length;
  if (missing < 0) return null;
  return [...left, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ""));
}

/** Which limit a request counts against: preflights none, blob reads their own. */
export function limitOf(request: Request): "requests" | "blobs" | null {
  if (request.method === "OPTIONS") return null;
  const { pathname } = new URL(request.url);
  return /^\/v2\/.+\/blobs\/[^/]+$/.test(pathname) ? "blobs" : "requests";
}

/** The limits a minute per client: RATE_LIMIT and BLOB_RATE_LIMIT (0 turns one off). */
export interface RateLimits {
  perMinute: number;
  blobsPerMinute: number;
}

/** The part of the Workers Rate Limiting binding used here (kept structural so Node tests can load this file). */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

const limiter = new RateLimiter();
const blobLimiter = new RateLimiter();

/** Checks the in-isolate limiters and, for requests other than blobs when bound, the Workers Rate Limiting binding. */
export async function checkRateLimit(request: Request, limits: RateLimits, binding?: RateLimitBinding): Promise<RateDecision> {
  const kind = limitOf(request);
  if (kind === null) return { allowed: true, retryAfter: 0 };
  const key = clientKey(request);
  if (kind === "blobs") return blobLimiter.take(key, limits.blobsPerMinute);
  const local = limiter.take(key, limits.perMinute);
  if (!local.allowed) return local;
  if (binding) {
    const { success } = await binding.limit({ key });
    if (!success) return { allowed: false, retryAfter: 60 };
  }
  return local;
}
