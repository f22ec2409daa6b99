// Response bodies for shared/ whose reader can read straight into the caller's buffer
// (BodyReader.readInto, a BYOB read of the fetch body's byte stream). Profiled in the
// bench's Chromium: a default reader hands each piece over in a freshly allocated
// buffer, and reading 512 MiB that way took the reading thread about twice the CPU of
// BYOB reads into one reused buffer; the download engine reads its batches this way.
// read() stays as a default reader's (a buffer of its own per piece), through one reused
// buffer and a copy of what arrived. A browser without BYOB reads of fetch bodies gets
// its own reader, without readInto.

import type { BodyReader, HttpBody, HttpResponse } from "../../shared/http.ts";

/** What read() reads into at most at once before copying it out. */
const READ_SIZE = 1 << 20;

/** `response` for shared/, its body readable into a caller's buffer where the browser can. */
export function readableInto(response: Response): HttpResponse {
  const { status, url, type, headers } = response;
  return { status, url, type, headers, body: response.body === null ? null : readableIntoBody(response.body) };
}

/** `stream` as a body whose reader reads into a caller's buffer where `stream` is a byte stream. */
export function readableIntoBody(stream: ReadableStream<Uint8Array>): HttpBody {
  return {
    cancel: (reason) => stream.cancel(reason),
    getReader(): BodyReader {
      let byob: ReadableStreamBYOBReader;
      try {
        byob = stream.getReader({ mode: "byob" });
      } catch {
        return stream.getReader();
      }
      let scratch: Uint8Array<ArrayBuffer> | undefined = new Uint8Array(READ_SIZE);
      const readInto = async (into: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> => {
        const { value } = await byob.read(into);
        // Undefined only when the stream was cancelled: the memory went with it.
        return value ?? new Uint8Array(0);
      };
      return {
        readInto,
        async read() {
          const bytes = await readInto(scratch ?? new Uint8Array(READ_SIZE));
          scratch = bytes.buffer.byteLength === READ_SIZE ? new Uint8Array(bytes.buffer) : undefined;
          return bytes.length === 0 ? { done: true, value: undefined } : { done: false, value: bytes.slice() };
        },
        cancel: (reason) => byob.cancel(reason),
        releaseLock: () => byob.releaseLock(),
      };
    },
  };
}
