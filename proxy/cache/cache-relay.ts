// A blob on its way from upstream to a client and, in the same pass, into R2 with one
// `put` that carries the blob's sha256. R2 checks the digest on the way in
// (https://developers.cloudflare.com/r2/api/workers/workers-api-reference/#r2putoptions),
// so the Worker hashes nothing: hashing is CPU time, and the Free plan allows 10 ms of it
// a request (https://developers.cloudflare.com/workers/platform/limits/#cpu-time). The
// client's last chunk is held back until R2 has accepted the object, so a blob whose
// bytes don't match its digest reaches the client as a broken transfer, never as a clean
// end of file. JavaScript runs once per 4 MiB chunk; each side may fall a bounded window
// behind, so memory stays bounded whichever is slower.
import { WindowedSink } from "./windowed-sink.ts";

/** Bytes per chunk the source should come in (the caller reads it, upstream/resuming-body.ts). */
export const RELAY_CHUNK = 4 * 1024 * 1024;
const CLIENT_WINDOW = 8 * 1024 * 1024;
const CACHE_LAG = 16 * 1024 * 1024;

/** R2 refused the whole object: its bytes are not the blob its digest names (or R2 failed at the very end). */
export class RefusedByStore extends Error {
  constructor(cause: unknown) {
    super(`R2 refused the blob: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

export interface RelayTarget {
  /** Where the client's bytes go (the readable side is the client's response body). */
  client: WritableStream<Uint8Array>;
  /** Starts R2's `put` of a body of exactly `length` bytes, checked against the digest; settles when R2 has it or refused it. */
  store(body: ReadableStream<Uint8Array>): Promise<unknown>;
}

/**
 * Copies `source` (`length` bytes, in chunks of about RELAY_CHUNK, read by the caller so a
 * cut upstream can be resumed) to the client and into the store. Resolves when the
 * client has every byte and R2 accepted the object. Rejects, the client's transfer
 * broken, when R2 refuses the complete object (its digest does not match) or the source
 * fails or ends short; when the client leaves, the upload is abandoned too. An R2 that
 * fails part way (an outage, a rate limit) costs only the caching: the client gets the
 * rest unchecked, as a plain pass-through would give it.
 */
export async function relayIntoCache(source: AsyncIterable<Uint8Array>, length: number, target: RelayTarget): Promise<void> {
  const upload = new FixedLengthStream(length);
  const stored = target.store(upload.readable as ReadableStream<Uint8Array>);
  stored.catch(() => {});
  const client = new WindowedSink(target.client, CLIENT_WINDOW);
  const cache = new WindowedSink(upload.writable as WritableStream<Uint8Array>, CACHE_LAG);
  let held: Uint8Array | null = null;
  try {
    // Leaving this loop early (a throw) stops the source, which cancels its upstream body.
    for await (const chunk of source) {
      await Promise.all([cache.write(chunk), held && client.write(held)]);
      if (client.failed) throw new Error("the client went away; the blob is left uncached");
      held = chunk;
    }
    if (!cache.failed) {
      await cache.close();
      // Every byte went to R2: a refusal now is R2 saying the bytes are not the blob.
      await stored.catch((error: unknown) => {
        throw new RefusedByStore(error);
      });
    }
    if (held) await client.write(held);
    await client.close();
    if (client.failed) throw new Error("the client went away before the blob's end");
  } catch (error) {
    await Promise.all([client.abort(error), cache.abort(error)]);
    throw error;
  }
}
