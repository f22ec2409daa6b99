// A blob's bytes from upstream that survive the upstream cutting the connection part way
// (issue #25). Registries and their CDNs do cut; docker and the CLI resume, but skopeo 1.9,
// older docker and curl of /api/download do not, and would get "unexpected EOF" or a short
// file. The mirror knows the offset and the digest, so it asks the upstream again for the
// rest (a ranged GET with a fresh token and redirect, through the caller's `reopen`) and the
// client sees one unbroken stream of the length it was told. At most MAX_RESUMES times per
// body, and each resume must bring bytes; past that, or when the upstream answers the
// range with anything but those bytes, the stream errors, so the client sees a broken
// transfer, never a short body that looks complete. An upstream that ignores Range and
// answers 200 with the whole blob (legal) has the bytes already sent skipped. A body that
// stands still for UPSTREAM_IDLE_TIMEOUT counts as cut.
// Counting bytes means JavaScript reads the body instead of a native pipe; it reads in
// chunks of 4 MiB (cache/chunks.ts: workerd's BYOB readAtLeast, each read watched), one step of
// JavaScript per chunk, not per network packet. Even so it costs CPU per byte that a native
// pipe does not (docs/cloudflare-limits.md), so the Free plan's pass-through of large
// blobs does not resume (v2/blob-answer.ts).
import { parseContentRange } from "../../shared/http.ts";
import { chunksOf } from "../cache/chunks.ts";

/** Resumes one body may take; each must bring bytes. */
export const MAX_RESUMES = 3;
/**
 * Bytes per read of a body the client gets through the mirror (v2/; the Paid relay and
 * /api/download read 4 MiB too): memory per blob stays at two of these. 4 MiB measured
 * half the extra CPU of 1 MiB (docs/cloudflare-limits.md).
 */
export const RESUME_CHUNK = 4 * 1024 * 1024;

/** The rest of a body asked afresh: `skip` leading bytes of `body` are not wanted (an upstream that ignored Range). */
export interface Continuation {
  body: ReadableStream<Uint8Array>;
  skip: number;
}

export interface ResumeSpec {
  /** Bytes the whole body carries. */
  length: number;
  /** The body's bytes from `offset` (counted from the body's first byte) to its end, asked afresh; throws when they cannot be had. */
  reopen(offset: number): Promise<Continuation>;
  /** Bytes per read (MiBs: one step of JavaScript each). */
  chunkSize: number;
  /** Milliseconds one read may take before the body counts as cut; 0: no limit. */
  idleMs: number;
  /** The body as messages name it. */
  what: string;
  maxResumes?: number;
}

/** The resumed body could not be completed: the stream errors with this. */
export class ResumeFailed extends Error {
  override name = "ResumeFailed";
}

/**
 * `first`'s bytes, and after a cut the rest from `spec.reopen`, in chunks: exactly
 * `spec.length` bytes in all, or an error. Stopping early (the consumer leaving) cancels
 * the upstream body.
 */
export async function* resumingChunks(first: ReadableStream<Uint8Array>, spec: ResumeSpec): AsyncGenerator<Uint8Array> {
  const max = spec.maxResumes ?? MAX_RESUMES;
  let source: Continuation = { body: first, skip: 0 };
  let sent = 0;
  // The chunk that completes the body waits until the upstream confirms the end: bytes past
  // the stated length mean the answer is not the blob, and the client must see a failure.
  let last: Uint8Array | null = null;
  const stalled = () => new Error(`${spec.what} sent nothing for ${spec.idleMs / 1000} s (UPSTREAM_IDLE_TIMEOUT)`);
  for (let resumes = 0; ; resumes++) {
    const before = sent;
    let cause: unknown = "the body ended early";
    try {
      for await (let chunk of chunksOf(source.body, spec.chunkSize, { idleMs: spec.idleMs, stalled })) {
        if (source.skip > 0) {
          const dropped = Math.min(source.skip, chunk.byteLength);
          source.skip -= dropped;
          chunk = chunk.subarray(dropped);
        }
        if (chunk.byteLength === 0) continue;
        if (chunk.byteLength > spec.length - sent) throw new ResumeFailed(`${spec.what}: the upstream sent more than the ${spec.length} bytes it stated; not passing them on`);
        sent += chunk.byteLength;
        if (sent === spec.length) last = chunk;
        else yield chunk;
      }
    } catch (error) {
      if (error instanceof ResumeFailed) throw error;
      cause = error;
    }
    if (last) {
      yield last;
      return;
    }
    const reason = cause instanceof Error ? cause.message : String(cause);
    if (resumes > 0 && sent === before) throw new ResumeFailed(`${spec.what}: resumed at byte ${before} of ${spec.length}, the upstream sent nothing more (${reason})`);
    if (resumes >= max) throw new ResumeFailed(`${spec.what}: cut ${resumes + 1} times, the last at byte ${sent} of ${spec.length} (${reason}); not asking again`);
    console.warn(`${spec.what}: the upstream's body stopped at byte ${sent} of ${spec.length} (${reason}); asking again from there`);
    source = await spec.reopen(sent);
  }
}

/**
 * The rest of a blob from an upstream's answer to a resumed range asking for bytes from
 * `from` of a blob of `total` bytes: a 206 from exactly there, or a 200 of the whole blob
 * (Range ignored) with `from` bytes to skip. Anything else is refused, its body dropped.
 */
export async function continuationOf(response: Response, from: number, total: number, what: string): Promise<Continuation> {
  if (response.body && response.status === 206) {
    const range = parseContentRange(response.headers.get("content-range"));
    if (range && range.first === from && range.total === total) return { body: response.body, skip: 0 };
  }
  if (response.body && response.status === 200) {
    const length = response.headers.get("content-length");
    if (length === null || Number(length) === total) return { body: response.body, skip: from };
  }
  await response.body?.cancel().catch(() => {});
  throw new ResumeFailed(`${what}: asked again from byte ${from}, the upstream answered ${response.status}${response.headers.get("content-range") ? ` (Content-Range: ${response.headers.get("content-range")})` : ""}, not those bytes`);
}

/**
 * A stream of exactly `length` bytes (the runtime's FixedLengthStream: it sends
 * Content-Length, and a body that ends short is an error), fed from `chunks`; when they
 * fail, the stream errors. One chunk may be on its way to the client while the next is read.
 * `poured`: when all of it has been handed on (or it failed).
 */
export function fixedLengthPour(chunks: AsyncIterable<Uint8Array>, length: number): { readable: ReadableStream<Uint8Array>; poured: Promise<void> } {
  const { readable, writable } = new FixedLengthStream(length);
  return { readable: readable as ReadableStream<Uint8Array>, poured: pour(chunks, writable as WritableStream<Uint8Array>) };
}

async function pour(chunks: AsyncIterable<Uint8Array>, writable: WritableStream<Uint8Array>): Promise<void> {
  const writer = writable.getWriter();
  let pending: Promise<void> = Promise.resolve();
  try {
    for await (const chunk of chunks) {
      await pending;
      pending = writer.write(chunk);
      pending.catch(() => {}); // awaited before the next write; a client gone is seen there
    }
    await pending;
    await writer.close();
  } catch (error) {
    console.warn(String(error));
    await writer.abort(error).catch(() => {});
  }
}
