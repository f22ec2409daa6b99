// Response bodies for shared/ whose reader can read straight into the caller's buffer
// (BodyReader.readInto, a BYOB read of the fetch body's byte stream). Profiled in the
// bench's Chromium: a default reader hands each piece over in a freshly allocated
// buffer, and reading 512 MiB that way took the reading thread about twice the CPU of
// BYOB reads into one reused buffer; the download engine reads its batches this way.
// read() stays as a default reader's (a buffer of its own per piece), through one reused
// buffer and a copy of what arrived. A browser without BYOB reads of fetch bodies gets
// its own reader, without readInto. Where held-bodies.ts allows it, a range's body is
// read whole into a Blob instead (readHeld), which never enters this thread at all.

import type { BodyReader, HeldBytes, HttpBody, HttpResponse } from "../../shared/http.ts";
import { heldSoFar, mayHold, wholeRead, wholeReadFailed } from "./held-bodies.ts";

/** What read() reads into at most at once before copying it out. */
const READ_SIZE = 1 << 20;

/** How a body is read whole. */
interface Whole {
  /** Whether `wanted` bytes, the body's whole length, may be read whole now; a yes must be followed by read(). */
  accepts(wanted: number): boolean;
  read(): Promise<HeldBytes>;
}

/** `response` for shared/, its body readable into a caller's buffer where the browser can, or whole into a Blob (held-bodies.ts). */
export function readableInto(response: Response): HttpResponse {
  const { status, url, type, headers } = response;
  return { status, url, type, headers, body: response.body === null ? null : readableIntoBody(response.body, whole(response)) };
}

function whole(response: Response): Whole | undefined {
  const length = Number(response.headers.get("content-length") ?? Number.NaN);
  const encoding = response.headers.get("content-encoding");
  // Only a body whose length on the wire is its length as read.
  if (!Number.isSafeInteger(length) || (encoding !== null && encoding !== "identity")) return undefined;
  let origin = "";
  try {
    origin = new URL(response.url).origin;
  } catch {
    // a response made here, with no URL: its own origin
  }
  return {
    accepts: (wanted) => wanted === length && mayHold(origin, length),
    read: async () => {
      const started = performance.now();
      try {
        const blob = await response.blob();
        wholeRead(origin, blob.size, performance.now() - started);
        heldSoFar.bodies++;
        heldSoFar.bytes += blob.size;
        return blob;
      } catch (error) {
        wholeReadFailed(origin, error instanceof Error && error.name === "AbortError");
        throw error;
      }
    },
  };
}

/** `stream` as a body whose reader reads into a caller's buffer where `stream` is a byte stream. */
export function readableIntoBody(stream: ReadableStream<Uint8Array>, whole?: Whole): HttpBody {
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
      let touched = false;
      const readInto = async (into: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> => {
        touched = true;
        const { value } = await byob.read(into);
        // Undefined only when the stream was cancelled: the memory went with it.
        return value ?? new Uint8Array(0);
      };
      const reader: BodyReader = {
        readInto,
        async read() {
          const bytes = await readInto(scratch ?? new Uint8Array(READ_SIZE));
          scratch = bytes.buffer.byteLength === READ_SIZE ? new Uint8Array(bytes.buffer) : undefined;
          return bytes.length === 0 ? { done: true, value: undefined } : { done: false, value: bytes.slice() };
        },
        cancel: (reason) => byob.cancel(reason),
        releaseLock: () => byob.releaseLock(),
      };
      if (whole === undefined) return reader;
      return {
        ...reader,
        async readHeld(wanted) {
          if (touched || !whole.accepts(wanted)) return undefined;
          touched = true;
          // Nothing was read: the body is whole, for response.blob() once the reader lets go.
          byob.releaseLock();
          return whole.read();
        },
      };
    },
  };
}
