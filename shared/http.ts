// The fetch-shaped interfaces through which shared/ does HTTP. shared/ never touches a
// global fetch (it is not declared for it): the caller passes one in. Global fetch in
// browsers, Workers and Node satisfies `HttpFetch` structurally, and tests can pass a
// fake without any HTTP at all.

export interface HttpHeaders {
  get(name: string): string | null;
}

export interface HttpRequestInit {
  method?: "GET" | "HEAD" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** "manual" lets the registry client drop Authorization on cross-origin redirects itself. */
  redirect?: "follow" | "manual";
  signal?: AbortSignal;
}

/** How shared/ reads a body: one piece at a time. A web ReadableStream reader is one. */
export interface BodyReader {
  read(): Promise<{ done?: boolean | undefined; value?: Uint8Array | undefined }>;
  /** Stops reading and releases the connection. */
  cancel(reason?: unknown): Promise<void>;
  /** Done reading a body that has ended. */
  releaseLock(): void;
  /**
   * The caller is done with `piece` (and every view of it): a runtime whose pieces are
   * fresh memory per read may free it now instead of when the collector finds it (the
   * CLI: cli/network/http.ts). The piece must not be used after. Optional both ways: a
   * reader need not have it, a caller need not call it.
   */
  recycle?(piece: Uint8Array): void;
  /**
   * Reads the next bytes straight into `into` (a web byte stream's BYOB read: nothing is
   * allocated per piece) and returns them as a view at the start of `into`'s place in
   * its memory: empty at the end. `into`'s ArrayBuffer may be transferred by the read:
   * from then on its memory is the returned view's buffer (one of byteLength 0 if a
   * failed read lost it). Optional: a reader without it is read with read().
   */
  readInto?(into: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * Reads the rest of the body, `length` bytes expected, into storage the runtime keeps
   * outside JavaScript (a browser's Blob: the network's bytes go to the browser's own
   * store, never through the page's thread), or declines (undefined: read on with
   * read() or readInto()). Only before anything else was read. Holds fewer bytes only if
   * the body ended early; never more than `length`. Fails as read() would when the
   * connection breaks. Optional: see HeldBytes for who takes such bytes.
   */
  readHeld?(length: number): Promise<HeldBytes | undefined>;
}

/**
 * Bytes a runtime holds for shared/ (a browser's Blob), known here only by their size:
 * the engine hands them to a sink and a hasher that can take them (RandomAccessSink's
 * writeHeld, BlobHasher's updateHeld) and never reads them itself.
 */
export interface HeldBytes {
  readonly size: number;
}

/**
 * A response body as shared/ uses it: a web ReadableStream has this shape, and so can
 * a runtime's own body (the CLI's undici stream), with no web-stream layer per piece.
 */
export interface HttpBody {
  getReader(): BodyReader;
  cancel(reason?: unknown): Promise<void>;
}

export interface HttpResponse {
  readonly status: number;
  readonly url: string;
  /** "opaqueredirect" in browsers for redirect: "manual"; the Location is then hidden. */
  readonly type?: string;
  readonly headers: HttpHeaders;
  readonly body: HttpBody | null;
}

export type HttpFetch = (url: string, init: HttpRequestInit) => Promise<HttpResponse>;

/** A reader's chunks as an async iterable; the reader stays locked, for its caller to release or read on. */
export async function* readerChunks(reader: Pick<BodyReader, "read">): AsyncGenerator<Uint8Array> {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    if (value) yield value;
  }
}

/** A stream's chunks as an async iterable (not every browser makes streams iterable). */
export async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    yield* readerChunks(reader);
  } finally {
    reader.releaseLock();
  }
}

/** Drops a response body we will not read, so the connection can be reused. */
export async function discardBody(response: Pick<HttpResponse, "body">): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // a body that already failed has nothing left to release
  }
}

/**
 * The whole body, for manifests, configs, tag lists and error documents (all small), and
 * a request's own (the Worker's seed API).
 * Read chunk by chunk and cut off past `limit`, so a body without Content-Length (or
 * with a false one) can never make us hold more than `limit` bytes.
 */
export async function readBody(response: Pick<HttpResponse, "headers" | "body">, limit: number): Promise<Uint8Array> {
  const length = Number(response.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(length) && length > limit) {
    await discardBody(response);
    throw new RangeError(`the response is ${length} bytes, more than the ${limit} expected at most`);
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done || value === undefined) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new RangeError(`the response is more than the ${limit} bytes expected at most`);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** At most the first `max` bytes of a body as text (error documents: only for messages). */
export async function readPrefix(response: HttpResponse, max: number): Promise<string> {
  if (response.body === null) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let left = max;
  try {
    while (left > 0) {
      const { done, value } = await reader.read();
      if (done || value === undefined) return text + decoder.decode();
      const part = value.subarray(0, left);
      left -= part.length;
      text += decoder.decode(part, { stream: true });
    }
    await reader.cancel().catch(() => {});
  } catch {
    // a body that breaks off still gave us what it sent
  }
  return text + decoder.decode();
}

/**
 * Milliseconds to wait that a Retry-After names: delay-seconds or an HTTP date (RFC 9110
 * 10.2.3); undefined for anything else. Only digits count as seconds (a decimal point is
 * let pass, "0x10" and "-1" are not), and as a date only a text with a day's or month's
 * name in it: Date.parse alone would read "1.5" as a day in 2001.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  const text = value?.trim() ?? "";
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]{3}/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** An answer's `Content-Range: bytes first-last/total`, null when it is not one of those. */
export function parseContentRange(header: string | null): { first: number; last: number; total: number } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header ?? "");
  if (!match) return null;
  const [first, last, total] = match.slice(1).map(Number);
  return { first, last, total };
}
