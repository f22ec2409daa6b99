// What of an upstream's blob answer may reach the client. A blob request may be
// redirected anywhere the address guard allows, and whatever answers there is not
// trusted: a ranged read is relayed only as a 206 for exactly the range asked (length
// enforced), a whole answer only with an exact length (a small one, up to 1 MiB, is
// checked against its digest before its first byte leaves, so a redirect to some
// service's page is a clean 502; a larger one is held to its length natively and its
// digest left to the client, as hashing it would cost CPU per byte), never compressed
// for transport, always as application/octet-stream. Whole blobs that go into the cache
// are relayed by cache/cache-relay.ts instead, checked by R2.
// Anything else becomes a registry error in the spec's shape.
// Given a `resume` (the same request asked again for a range), a body the upstream cuts
// part way is continued from where it stopped (upstream/resuming-body.ts), so the client
// sees one unbroken stream of the length it was told, or a broken transfer: on the Paid
// plan always, on the Free plan for bodies up to 1 MiB (read whole here anyway). A larger
// body on the Free plan keeps the native pipe: counting its bytes in JavaScript measured
// 0.6–1.3 s more CPU per GiB locally (docs/cloudflare-limits.md), and Free allows 10 ms.
import { sha256Digest } from "../../shared/digest.ts";
import type { ProxyContext } from "../config.ts";
import { parseContentRange, readBody } from "../../shared/http.ts";
import { registryErrorResponse } from "./errors.ts";
import { parseRange } from "./range.ts";
import { relayResponse } from "./relay.ts";
import type { V2Route } from "./route.ts";
import { continuationOf, fixedLengthPour, RESUME_CHUNK, resumingChunks, type Continuation } from "../upstream/resuming-body.ts";

/** The blob's bytes `from`–`to` (inclusive) asked of the upstream again: its raw answer. */
export type Resume = (from: number, to: number) => Promise<Response>;

/** The headers of every blob answer, from the cache or from upstream. */
export function blobHeaders(digest: string): Headers {
  return new Headers({
    "content-type": "application/octet-stream",
    "docker-content-digest": digest,
    "docker-distribution-api-version": "registry/2.0",
    "accept-ranges": "bytes",
    etag: `"${digest}"`,
  });
}

/**
 * The length of a 206 answer when its Content-Range is exactly the range the client asked
 * for, read against the blob size the answer states; null otherwise. The client's Range
 * is read as the cache reads it (range.ts), so both paths agree on what a range means.
 */
function agreedLength(response: Response, rangeHeader: string | null): number | null {
  const answered = parseContentRange(response.headers.get("content-range"));
  if (!answered) return null;
  const { first, last, total } = answered;
  const asked = parseRange(rangeHeader, total);
  if (asked === null || asked === "unsatisfiable" || asked.offset !== first || asked.offset + asked.length - 1 !== last) return null;
  const declared = response.headers.get("content-length");
  if (declared !== null && Number(declared) !== asked.length) return null;
  return asked.length;
}

function transportEncoded(response: Response): string | null {
  const encoding = response.headers.get("content-encoding")?.trim().toLowerCase();
  return encoding && encoding !== "identity" ? encoding : null;
}

/**
 * The client's answer for an upstream blob answer that does not go into the cache.
 * `knownSize` is the blob's size learnt otherwise, for a whole answer sent without a
 * Content-Length (chunked).
 */
export async function checkedBlobAnswer(response: Response, request: Request, route: V2Route, context: ProxyContext, knownSize?: number, resume?: Resume): Promise<Response> {
  const encoding = transportEncoded(response);
  if (encoding && (response.status === 200 || response.status === 206)) {
    void response.body?.cancel();
    return refused(`${route.key} sent blob ${route.reference} with Content-Encoding: ${encoding} though the mirror asked for identity; its bytes could not be checked against the digest`);
  }
  const headers = blobHeaders(route.reference);
  const declared = response.headers.get("content-length");
  const size = declared !== null ? (/^\d+$/.test(declared) ? Number(declared) : null) : (knownSize ?? null);
  if (request.method === "HEAD") {
    void response.body?.cancel();
    if (response.status !== 200) return upstreamError(response, request, route, context);
    if (size !== null) headers.set("content-length", String(size));
    return new Response(null, { status: 200, headers });
  }
  if (response.status === 206) {
    const length = agreedLength(response, request.headers.get("range"));
    if (length === null || !response.body) {
      void response.body?.cancel();
      return refused(`${route.key} answered a range of blob ${route.reference} other than the ${request.headers.get("range") ?? "whole blob"} asked for (Content-Range: ${response.headers.get("content-range") ?? "none"})`);
    }
    headers.set("content-range", response.headers.get("content-range")!);
    headers.set("content-length", String(length));
    const { first, total } = parseContentRange(response.headers.get("content-range"))!;
    return streamed(resumable(response.body, first, length, total, route, context, paidOnly(context, resume)), 206, headers);
  }
  if (response.status === 200) {
    if (size === null || !response.body) {
      void response.body?.cancel();
      return refused(`${route.key} answered blob ${route.reference} without a Content-Length; it cannot be checked against the digest`);
    }
    if (size <= CHECKED_WHOLE) return checkedWhole(resumable(response.body, 0, size, size, route, context, resume).body, route, size, headers);
    // Held to its length; its digest is the client's to check (every registry client
    // does): hashing it here would cost CPU per byte, which the platform counts.
    headers.set("content-length", String(size));
    return streamed(resumable(response.body, 0, size, size, route, context, paidOnly(context, resume)), 200, headers);
  }
  return upstreamError(response, request, route, context);
}

/** Whole answers up to this size are read and checked before the client sees a byte. */
const CHECKED_WHOLE = 1024 * 1024;

/**
 * `length` bytes of the blob from `first` (of `total`): the upstream's body held to that
 * length, and with `resume`, continued after a cut; a stream that errors rather than end short.
 */
/** `resume` where the plan's CPU allows reading a large body in JavaScript (Paid), else none: a native pipe. */
function paidOnly(context: ProxyContext, resume?: Resume): Resume | undefined {
  return context.config.plan === "paid" ? resume : undefined;
}

/** A body on its way to the client, and when it has all been handed on (or failed). */
interface Streamed {
  body: ReadableStream<Uint8Array>;
  ended: Promise<void>;
}

function resumable(body: ReadableStream<Uint8Array>, first: number, length: number, total: number, route: V2Route, context: ProxyContext, resume?: Resume): Streamed {
  if (!resume) {
    // pipeTo, not pipeThrough: as native, and its promise says when the client has had it all.
    const fixed = new FixedLengthStream(length);
    return { body: fixed.readable as ReadableStream<Uint8Array>, ended: body.pipeTo(fixed.writable as WritableStream<Uint8Array>).catch(() => {}) };
  }
  const what = `blob ${route.reference} from ${route.key}`;
  const last = first + length - 1;
  const reopen = async (offset: number): Promise<Continuation> => continuationOf(await resume(first + offset, last), first + offset, total, what);
  const chunks = resumingChunks(body, { length, reopen, chunkSize: RESUME_CHUNK, idleMs: context.config.upstreamDeadlines.idleMs, what });
  const { readable, poured } = fixedLengthPour(chunks, length);
  return { body: readable, ended: poured };
}

/** When each streamed blob answer's body has all been handed on: a fill is wanted while its client reads (blobs.ts). */
const answerEnds = new WeakMap<Response, Promise<void>>();

function streamed(answer: Streamed, status: number, headers: Headers): Response {
  const response = new Response(answer.body, { status, headers });
  answerEnds.set(response, answer.ended);
  return response;
}

/** When `response`'s body (a blob streamed from upstream) has all gone to the client, or failed; undefined for any other answer. */
export function answerEnded(response: Response): Promise<void> | undefined {
  return answerEnds.get(response);
}

async function checkedWhole(body: ReadableStream<Uint8Array>, route: V2Route, size: number, headers: Headers): Promise<Response> {
  const bytes = await readBody(new Response(body), size).catch(() => null);
  const digest = bytes && bytes.byteLength === size ? await sha256Digest(bytes) : null;
  if (digest !== route.reference) return refused(`${route.key} answered blob ${route.reference} with other bytes (${digest ?? `not the ${size} bytes it announced`}); not passing them on`);
  headers.set("content-length", String(size));
  return new Response(bytes, { status: 200, headers });
}

/** Statuses a registry client acts on are relayed (relay.ts gives them a spec-shaped body); anything else is a 502. */
const RELAYED = new Set([401, 403, 404, 416, 429]);

function upstreamError(response: Response, request: Request, route: V2Route, context: ProxyContext): Response {
  if (RELAYED.has(response.status)) return relayResponse(response, request, route, context);
  void response.body?.cancel();
  return refused(`${route.key} answered ${response.status} for blob ${route.reference}`);
}

function refused(message: string): Response {
  return registryErrorResponse(502, "BLOB_UNKNOWN", message);
}
