// The books of background fills in one isolate: which blobs are being fetched whole into
// R2 on behalf of ranged readers, for which clients, and whether anyone still wants them.
// A fill holds an upstream connection and an R2 upload for as long as the blob takes, so
// it is bounded three ways: one per blob however many ranges ask, a few per client, a
// few more in all; and it stops once no client has read a byte of the blob for a while
// (a client that asked for one byte, or left after 30 MB, does not keep the Worker
// pulling gigabytes for nobody).

/** Fills one isolate runs at once. */
const MAX_FILLS = 4;
/** Fills one client (as the rate limiter counts clients) may have running at once. */
const MAX_FILLS_PER_CLIENT = 2;

interface Fill {
  client: string;
  /** When a client last read a byte of the blob through the mirror (Date.now()). */
  wantedAt: number;
  done: Promise<void>;
}

const fills = new Map<string, Fill>();

/**
 * The running fill of `digest`, now wanted again; else a new one from `start` for
 * `client`, kept in the books until it settles; null when a bound leaves no room (the
 * caller serves its range and leaves the blob for a later full read to cache).
 */
export function fillFor(digest: string, client: string, start: () => Promise<void>): Promise<void> | null {
  const running = fills.get(digest);
  if (running) {
    running.wantedAt = Date.now();
    return running.done;
  }
  if (fills.size >= MAX_FILLS) return null;
  let mine = 0;
  for (const fill of fills.values()) if (fill.client === client) mine++;
  if (mine >= MAX_FILLS_PER_CLIENT) return null;
  const fill: Fill = { client, wantedAt: Date.now(), done: Promise.resolve() };
  fills.set(digest, fill);
  fill.done = start().finally(() => fills.delete(digest));
  return fill.done;
}

/** Whether the fill of `digest` should go on: some client read the blob within `idleMs`. */
export function stillWanted(digest: string, idleMs: number): boolean {
  const fill = fills.get(digest);
  return fill !== undefined && Date.now() - fill.wantedAt <= idleMs;
}

/**
 * `body` as it is, except that each chunk taken from it marks the blob as wanted: a ranged
 * reader keeps its blob's fill alive while its range is sent, not only when it asks. The
 * Worker sees chunks leave, not the client reading them; socket buffers (megabytes) sit
 * between, so a reader slower than that looks finished once its range has left, and the
 * fill then stops FILL_IDLE later: the blob is cached by a later read instead.
 */
export function markingWanted(digest: string, body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        const fill = fills.get(digest);
        if (fill) fill.wantedAt = Date.now();
        controller.enqueue(chunk);
      },
    }),
  );
}
