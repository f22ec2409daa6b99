// The books of background fills in one isolate: which blobs are being fetched whole into
// R2 on behalf of ranged readers, for which clients, and whether anyone still wants them.
// A fill holds an upstream connection and an R2 upload for as long as the blob takes, so
// it is bounded three ways: one per blob however many ranges ask, a few per client, a
// few more in all; and it stops once no client has read a byte of the blob for a while
// (a client that asked for one byte, or left after 30 MB, does not keep the Worker
// pulling gigabytes for nobody).

/** Fills one isolate runs at once. */
export const MAX_FILLS = 4;
/** Fills one client (as the rate limiter counts clients) may have running at once. */
export const MAX_FILLS_PER_CLIENT = 2;

interface Fill {
  client: string;
  /** When a client last read a byte of the blob through the mirror (Date.now()). */
  wantedAt: number;
}

const fills = new Map<string, Fill>();

/** Why a fill was not started, or null when the caller may start it. */
export type Refusal = "running" | "isolate-full" | "client-full";

/**
 * Claims the fill of `digest` for `client`. Null when the caller should start it (and
 * call `release` when it ends); otherwise why not: already running (the caller's read
 * then only counts as interest), or one of the bounds is reached.
 */
export function claimFill(digest: string, client: string, now: number): Refusal | null {
  const running = fills.get(digest);
  if (running) {
    running.wantedAt = Math.max(running.wantedAt, now);
    return "running";
  }
  if (fills.size >= MAX_FILLS) return "isolate-full";
  let mine = 0;
  for (const fill of fills.values()) if (fill.client === client) mine++;
  if (mine >= MAX_FILLS_PER_CLIENT) return "client-full";
  fills.set(digest, { client, wantedAt: now });
  return null;
}

export function releaseFill(digest: string): void {
  fills.delete(digest);
}

/** A client read part of `digest`: a running fill of it is still wanted. */
export function noteWanted(digest: string, now: number): void {
  const fill = fills.get(digest);
  if (fill) fill.wantedAt = Math.max(fill.wantedAt, now);
}

/** Whether the fill of `digest` should go on: some client read the blob within `idleMs`. */
export function stillWanted(digest: string, now: number, idleMs: number): boolean {
  const fill = fills.get(digest);
  return fill !== undefined && now - fill.wantedAt <= idleMs;
}

/**
 * `body` as it is, except that each read by the client marks the blob as wanted: a ranged
 * reader keeps its blob's fill alive while it is reading, not only when it asks.
 */
export function markingWanted(digest: string, body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      noteWanted(digest, Date.now());
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
