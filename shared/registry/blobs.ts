// Blob reads for the download engine: a byte range of a layer as a body of exactly
// that many bytes, from the registry or, for foreign layers, from the layer's own URLs.
// A registry that ignores Range gets its leading bytes skipped here, and the rest of its
// body either cancelled once the range is read (so its connection closes) or, for the
// engine, handed on marked `runsOn`; one that answers a different range than asked is
// refused. Digests are checked by the engine, which sees the whole blob.

import type { BodyReader, HeldBytes, HttpBody, HttpResponse } from "../http.ts";
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
 * How a body is handed on: "sliced" holds it to the range asked; "unsliced" hands a whole
 * blob's 200 body (or a 206 of the rest of it, from a byte on) on as the transport gave it, for a caller that holds it to the size and
 * digest itself and reads it in large chunks (the Worker: every wrapper is JavaScript per
 * network packet, and CPU time is what its plan limits); "run-on" lets the body of a
 * server that ignored Range run on to the blob's end, marked `runsOn` (the engine).
 */
export type BlobBodyMode = "sliced" | "unsliced" | "run-on";

/** A blob body; `runsOn` when the server ignored Range and the body goes on to the blob's end ("run-on" only). */
export type BlobBody = HttpBody & { readonly runsOn?: boolean };

/**
 * The blob's bytes (or `range` of them) as a stream that ends early only if the
 * connection breaks (the engine counts and asks again from there), held to their length
 * unless `mode` says otherwise.
 */
export async function fetchBlobRange(transport: Transport, where: BlobLocation, blob: LayerDescriptor, what: string, range?: BlobRange, signal?: AbortSignal, mode: BlobBodyMode = "sliced"): Promise<BlobBody> {
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
    // The rest of the blob, for a caller that holds it to its size itself: as it came.
    if (mode === "unsliced" && end === blob.size) return response.body;
    return sliceBody(response.body, 0, end - start);
  }
  // A 200: the whole blob, whatever was asked.
  if (mode === "unsliced" && start === 0 && end === blob.size) return response.body;
  if (mode === "run-on" && headers.range !== undefined) return Object.assign(sliceBody(response.body, start, blob.size - start), { runsOn: true });
  return sliceBody(response.body, start, end - start, end < blob.size);
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
 * source does. Cancelling the result cancels the source (and its connection); with
 * `more` (the source goes on past the slice) the source is cancelled as soon as the
 * slice's last byte is read, so a reader that stops there leaves no connection open.
 * A plain reader, not another stream: each web-stream layer costs a queue and promises
 * per piece.
 */
export function sliceBody(source: HttpBody, skip: number, length: number, more = false): HttpBody {
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
        if (left === 0 && more) await reader.cancel().catch(() => {});
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
    recycle(piece) {
      reader?.recycle?.(piece);
    },
  };
  /**
   * Only over a source that reads into a buffer itself: over any other, the caller's own
   * fallback (the engine's: read, copy, hand the piece back) is the one way to do it.
   * What comes before the slice is read into the caller's buffer and passed over.
   */
  const readInto = async (into: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> => {
    const from = reader as BodyReader & Required<Pick<BodyReader, "readInto">>;
    const size = into.length; // before a read, which may transfer (detach) `into`
    let target = into;
    while (toSkip > 0) {
      const passed = await from.readInto(target.subarray(0, Math.min(target.length, toSkip)));
      if (passed.length === 0) return passed;
      toSkip -= passed.length;
      // The read may have moved the memory: the caller's place in it, in its new home.
      target = new Uint8Array(passed.buffer, passed.byteOffset, size);
    }
    if (left <= 0) {
      await from.cancel().catch(() => {});
      return target.subarray(0, 0);
    }
    const bytes = await from.readInto(target.subarray(0, Math.min(target.length, left)));
    left -= bytes.length;
    if (left === 0 && more) await from.cancel().catch(() => {});
    return bytes;
  };
  /** Only a slice that is the source's whole body, read whole from its start. */
  const readHeld = async (wanted: number): Promise<HeldBytes | undefined> => {
    const from = reader as BodyReader & Required<Pick<BodyReader, "readHeld">>;
    if (toSkip > 0 || more || wanted !== left) return undefined;
    const held = await from.readHeld(wanted);
    if (held !== undefined) left -= held.size;
    return held;
  };
  return {
    getReader: () => {
      reader ??= source.getReader();
      return { ...sliced, ...(reader.readInto === undefined ? {} : { readInto }), ...(reader.readHeld === undefined ? {} : { readHeld }) };
    },
    cancel: (reason) => sliced.cancel(reason),
  };
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
