// The bytes of background fills each client has started (FILL_BUDGET a client an hour).
// A fill downloads its whole blob from upstream however little the client read of it, so
// a one-byte range of each of a few large blobs would make the upstream send gigabytes:
// each fill a client starts is charged its blob's size, and once the client's hour is
// spent its reads are still served (passed through) but start no fill. The first fill of
// a client's hour is always allowed, so a blob larger than the budget can still be cached.
// Like the rate limiter's counts, these are kept in the isolate's memory: a brake on one
// client, per isolate.

const WINDOW_MS = 60 * 60 * 1000;
const MAX_TRACKED = 10_000;

interface Spent {
  /** When the client's hour began: its first charged fill. */
  since: number;
  bytes: number;
}

const spent = new Map<string, Spent>();

function current(client: string, now: number): Spent | undefined {
  const entry = spent.get(client);
  if (entry && now - entry.since >= WINDOW_MS) spent.delete(client);
  return spent.get(client);
}

/**
 * Charges a fill of `size` bytes to `client` when its hour has room for it (or it is the
 * hour's first); false, charging nothing, when not or when the size is unknown (the cost
 * of a fill must be known before it starts). A `budget` of 0 means no budget.
 */
export function chargeFill(client: string, size: number | null, budget: number, now: number): boolean {
  if (budget <= 0) return true;
  if (size === null || !Number.isFinite(size) || size < 0) return false;
  const entry = current(client, now);
  if (!entry) {
    makeRoom(now);
    spent.set(client, { since: now, bytes: size });
    return true;
  }
  if (entry.bytes + size > budget) return false;
  entry.bytes += size;
  return true;
}

/** Gives back a charge whose fill did not start (one ran already). */
export function refundFill(client: string, size: number | null, now: number): void {
  const entry = size === null ? undefined : current(client, now);
  if (entry && size !== null) entry.bytes = Math.max(0, entry.bytes - size);
}

/**
 * Bounds the books: clients whose hour is over go first, then the oldest. Only a client
 * that started a fill is ever written here, so filling the table costs real fills.
 */
function makeRoom(now: number): void {
  if (spent.size < MAX_TRACKED) return;
  for (const [client, entry] of spent) if (now - entry.since >= WINDOW_MS) spent.delete(client);
  for (const client of spent.keys()) {
    if (spent.size < MAX_TRACKED) return;
    spent.delete(client);
  }
}
