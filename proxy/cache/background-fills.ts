// This isolate's books of the blob fills it has ordered (fill/blob-fill.ts runs them, one
// Durable Object per blob) and of the blobs it is relaying into R2 itself (cache-relay.ts).
// A fill holds an upstream connection and an R2 upload for as long as the blob takes, so
// a client may order only a few at once, and an isolate a few more in all; an order
// counts until no client has asked for its blob for FILL_IDLE seconds, when the fill
// itself stops. The books are a brake on one client, not the fills' truth: the Durable
// Object is that.

/** Fills one isolate orders at once. */
const MAX_FILLS = 4;
/** Fills one client (as the rate limiter counts clients) may have ordered at once. */
const MAX_FILLS_PER_CLIENT = 2;

interface Order {
  client: string;
  /** When a client last asked for the blob (ms). */
  wantedAt: number;
}

const orders = new Map<string, Order>();
const relaying = new Set<string>();

function forgetIdle(now: number, idleMs: number): void {
  for (const [digest, order] of orders) if (now - order.wantedAt > idleMs) orders.delete(digest);
}

/**
 * Whether `client` may order a new fill of `digest` now: it is not ordered or relayed
 * here already, and the bounds leave room. At a bound, the fills counted against it are
 * asked whether they still run (`running`), and those that ended are forgotten first.
 */
export async function mayOrderFill(digest: string, client: string, now: number, idleMs: number, running: (digest: string) => Promise<boolean>): Promise<boolean> {
  forgetIdle(now, idleMs);
  if (orders.has(digest) || relaying.has(digest)) return false;
  const mine = () => [...orders.values()].filter((order) => order.client === client).length;
  if (orders.size >= MAX_FILLS || mine() >= MAX_FILLS_PER_CLIENT) {
    const counted = [...orders].filter(([, order]) => orders.size >= MAX_FILLS || order.client === client).map(([d]) => d);
    const ended = await Promise.all(counted.map(async (d) => !(await running(d).catch(() => true))));
    counted.forEach((d, i) => ended[i] && orders.delete(d));
  }
  return orders.size < MAX_FILLS && mine() < MAX_FILLS_PER_CLIENT;
}

/** Whether this isolate ordered a fill of `digest` that a client asked for within `idleMs`: asking again costs nothing. */
export function isOrdered(digest: string, now: number, idleMs: number): boolean {
  forgetIdle(now, idleMs);
  return orders.has(digest);
}

/** A fill of `digest` runs, ordered by `client` or found running; asked for now. */
export function noteFill(digest: string, client: string, now: number): void {
  const order = orders.get(digest);
  if (order) order.wantedAt = now;
  else orders.set(digest, { client, wantedAt: now });
}

/** The fill of `digest` is known not to run (it ended, or never started). */
export function forgetFill(digest: string): void {
  orders.delete(digest);
}

/** Claims the relay of `digest` into R2 for this request; false when this isolate relays it already. */
export function claimRelay(digest: string): boolean {
  if (relaying.has(digest)) return false;
  relaying.add(digest);
  return true;
}

export function releaseRelay(digest: string): void {
  relaying.delete(digest);
}
