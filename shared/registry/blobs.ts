// Blob reads for the download engine: a byte range of a layer as a body of exactly
// that many bytes, from the registry or, for foreign layers, from the layer's own URLs.
// A registry that ignores Range gets its leading bytes skipped here, and one that
// answers a different range than asked is refused, so callers never see the difference.
// Digests are checked by the engine, which sees the whole blob.

import type { BodyReader, HttpBody, HttpResponse } from "../http.ts";
import { discardBody, parseContentRange } from "../http.ts";
import { errorFromResponse, RegistryError } from "./errors.ts";
import type { AuthTarget, Transport } from "./transport.ts";

/** A layer as the engine needs it: where it goes comes from the plan, where from here. */
export interface LayerDescriptor {
  digest: string;
  size: number;
  mediaType: string;
  /** For foreign layers only: fetched from these URLs instead of the registry. */
  urls?: string[];
}

/** Bytes [start, end) of a blob. */
export interface BlobRange {
  start: number;
  /** Exclusive. */
  end: number;
}

/** Where a registry blob is read: its URL and who to authenticate as. */
export interface BlobLocation {
  target: AuthTarget;
  url: string;
}

/**
 * Bytes [start, end) of `blob` (the whole blob without a range) as a stream that ends
 * early only if the connection breaks; the engine counts and asks again from there.
 */
/**
 * The blob's bytes (or `range` of them), held to their length. With `unsliced`, a whole
 * blob's 200 body comes as the transport gave it: for a caller that holds it to the size
 * and digest itself and reads it in large chunks (the Worker: every wrapper is JavaScript
 * per network packet, and CPU time is what its plan limits).
 */
export async function fetchBlobRange(transport: Transport, where: BlobLocation, blob: LayerDescriptor, what: string, range?: BlobRange, signal?: AbortSignal, unsliced = false): Promise<HttpBody> {
  const headers: Record<string, string> = { "accept-encoding": "identity" };
  const start = range?.start ?? 0;
  const end = range?.end ?? blob.size;
  if (start > 0 || end < blob.size) headers.range = `bytes=${start}-${end - 1}`;
  let response: HttpResponse;
  let host: string;
  if (blob.urls !== undefined) {
    ({ response, host } = await fetchForeign(transport, blob.urls, headers, what, signal));
  } else {
    host = where.target.host;
    response = await transport.request(where.target, where.url, { method: "GET", headers }, what, signal);
  }
  if (response.body === null) throw new RegistryError("TRUNCATED", `${host} sent no body for ${what}`, { hint: "try again" });
  if (response.status === 206) {
    const contentRange = response.headers.get("content-range");
    if (parseContentRange(contentRange)?.first !== start) {
      await discardBody(response);
      throw new RegistryError("UPSTREAM", `${host} answered bytes ${contentRange ?? "(no Content-Range)"} of ${what} when asked for ${start}-${end - 1}`, {
        hint: "the registry or proxy handles range requests wrongly; try again without --proxy",
      });
    }
    return sliceBody(response.body, 0, end - start);
  }
  if (unsliced && start === 0 && end === blob.size) return response.body;
  return sliceBody(response.body, start, end - start);
}

/** Foreign layers (Windows base layers): the first of their URLs that serves them. */
async function fetchForeign(transport: Transport, urls: string[], headers: Record<string, string>, what: string, signal?: AbortSignal): Promise<{ response: HttpResponse; host: string }> {
  let last: unknown;
  for (const url of urls) {
    const host = new URL(url).host;
    try {
      const response = await transport.send(url, { method: "GET", headers, ...(signal ? { signal } : {}) }, host, what);
      if (response.status === 200 || response.status === 206) return { response, host };
      last = await errorFromResponse(response, `foreign layer ${what}`, host);
    } catch (error) {
      last = error;
    }
  }
  throw last;
}

/**
 * Exactly `length` bytes of `source` after skipping `skip`; ends early only if the
 * source does. Cancelling the result cancels the source (and its connection). A plain
 * reader, not another stream: each web-stream layer costs a queue and promises per piece.
 */
export function sliceBody(source: HttpBody, skip: number, length: number): HttpBody {
  let reader: BodyReader | undefined;
  let toSkip = skip;
  let left = length;
  const sliced: BodyReader = {
    async read() {
      reader ??= source.getReader();
      for (;;) {
        if (left <= 0) {
          await reader.cancel().catch(() => {});
          return { done: true, value: undefined };
        }
        const { done, value } = await reader.read();
        if (done || value === undefined) return { done: true, value: undefined };
        let chunk = value;
        if (toSkip > 0) {
          const dropped = Math.min(toSkip, chunk.length);
          toSkip -= dropped;
          chunk = chunk.subarray(dropped);
        }
        if (chunk.length === 0) continue;
        if (chunk.length > left) chunk = chunk.subarray(0, left);
        left -= chunk.length;
        return { done: false, value: chunk };
      }
    },
    cancel(reason) {
      left = 0;
      return (reader ?? source).cancel(reason);
    },
    releaseLock() {
      reader?.releaseLock();
    },
  };
  return { getReader: () => sliced, cancel: (reason) => sliced.cancel(reason) };
}

/** A body as a web ReadableStream, for callers that hand it on (a Worker's Response). */
export function bodyStream(body: HttpBody): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done || value === undefined) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
