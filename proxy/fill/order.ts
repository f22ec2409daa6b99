// What the Worker tells a blob's fill (fill/blob-fill.ts, a Durable Object per blob) and
// what it answers. The fill is asked for by the request that found the blob uncached;
// every later request for the blob says again that it is wanted, with its own (newer)
// credentials, so a fill goes on exactly as long as clients read the blob.
import type { BlobFill } from "./blob-fill.ts";

export interface FillOrder {
  /** The blob: its digest names the Durable Object. */
  digest: string;
  /** The /v2/ URL the client asked; the fill finds its upstream and repository from it as the Worker did. */
  url: string;
  /** The client's Authorization and Accept, kept in the fill's memory only (never stored), for its upstream requests. */
  authorization: string | null;
  accept: string | null;
  /** The blob's size when the Worker already knows it (a range answer's total), else null. */
  size: number | null;
  /** Whether a fill may start if none runs (false: only say the blob is still wanted). */
  mayStart: boolean;
}

export interface FillAnswer {
  /** A fill of the blob runs now. */
  running: boolean;
  /** It started with this order. */
  started: boolean;
}

/** The fills as the Worker sees them: one per blob, wherever it runs. */
export interface Fills {
  want(order: FillOrder): Promise<FillAnswer>;
  /** Whether a fill of the blob runs now (it is not marked wanted by asking). */
  running(digest: string): Promise<boolean>;
}


/** The Fills of a Durable Object namespace: the object named by the blob's digest. */
export function fillsIn(namespace: DurableObjectNamespace<BlobFill>): Fills {
  const of = (digest: string) => namespace.get(namespace.idFromName(digest));
  return {
    want: (order) => of(order.digest).want(order),
    running: (digest) => of(digest).running(),
  };
}
