// Misbehaviours the fake registry (fake-registry.ts) plays on demand, for one manifest,
// blob or tag list: the hostile upstream of issues #12 and #26. Each answers a request
// the registry has already authorised, instead of the honest answer.
// And a repository that lies about everything (answerLiar, issue #26): it claims to hold
// any digest, to anyone.
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";

export type Misbehaviour =
  /** 307 to a plain-text page on the same loopback server (a private service, say). */
  | "redirect-to-text-page"
  /** The blob's bytes gzip-encoded for transport, whatever Accept-Encoding said. */
  | "gzip-encoded"
  /** The honest bytes, served as text/html. */
  | "html-content-type"
  /** An HTML page as text/html instead of the manifest. */
  | "html-page"
  /** An HTML page whose Content-Type mentions json in a parameter: `text/html;x=json`. */
  | "html-json-parameter"
  /** The honest bytes as `application/json; charset=utf-8` (a parameter a JSON type may carry). */
  | "json-charset"
  /** 64 MiB of JSON-looking bytes with no Content-Length, as fast as the reader takes them. */
  | "endless-body"
  /** A 404 as an HTML page. */
  | "html-not-found"
  /** A whole read (no Range) sends half the blob, then waits for releaseStalled(); ranges are honest. */
  | "stall-whole"
  /** A 206 of the length asked for, but from another offset (Content-Range says so). */
  | "wrong-range"
  /** A whole read (no Range) sent slowly, 256 KiB every 40 ms as the reader takes it; ranges are honest. */
  | "trickle-whole"
  /** A ranged read of more than 1 MiB (a fill's part) sends half its bytes, then waits for releaseStalled(); smaller ranges and whole reads are honest. */
  | "stall-large-ranges"
  /** Whole GETs sent chunked, without Content-Length (mcr's data endpoint); HEADs honest. */
  | "chunked"
  /** Whole GETs chunked with the honest bytes and more after them; HEADs honest. */
  | "chunked-padded"
  /**
   * The first GET (whole or ranged) sends honest headers and CUT_AFTER bytes of its body,
   * then the connection is cut, as registries and CDNs do on a bad day; later GETs honest.
   */
  | "cut-once"
  /** As "cut-once", and every later GET is answered 200 with the whole blob, Range ignored (legal; some object stores do). */
  | "cut-once-ignore-range"
  /** Every GET is cut after CUT_EVERY bytes of its body. */
  | "cut-always"
  /** Never sends the answer's headers (until releaseStalled()): a manifest, tag list or token realm that hangs. */
  | "stall-headers"
  /**
   * The first GET is a 302 to a signed storage URL that has expired by the time it is asked
   * (EXPIRED_URL_PATH: 403 with S3's XML error, as signed URLs of a few seconds do on a slow
   * hop); later GETs honest.
   */
  | "expired-url-once";

/** Bytes of a body "cut-once" sends before the cut: not a multiple of any chunk size the mirror reads in. */
export const CUT_AFTER = 1_500_000;
/** Bytes of each body "cut-always" sends: less than the mirror's smallest chunk, so no attempt makes progress it can count. */
export const CUT_EVERY = 100_000;

export const TEXT_PAGE_PATH = "/loopback-service/page";
/** Where "expired-url-once" redirects: storage refusing a signed URL past its expiry. */
export const EXPIRED_URL_PATH = "/signed-storage/blob";
export const TEXT_PAGE = "internal status page: all systems nominal\n";
export const HTML_PAGE = "<!doctype html><script>alert(document.domain)</script>";
export const ENDLESS_BYTES = 64 * 1024 * 1024;

/** Blobs (their bytes) whose first GET "expired-url-once" has redirected to an expired URL. */
const expiredAlready = new WeakSet<Uint8Array>();

/** Blobs (their bytes) whose first GET "cut-once" has cut. */
const cutAlready = new WeakSet<Uint8Array>();

/** Answers of "stall-whole" waiting to be finished. */
const stalled: (() => void)[] = [];

/** Finishes every stalled whole read with the rest of its blob. */
export function releaseStalled(): void {
  for (const finish of stalled.splice(0)) finish();
}

/** Bytes written so far by "endless-body" answers: a test proves the reader stopped early. */
export const endless = { sent: 0 };

/** Bytes a lying repository sends for any GET: they hash to no digest a test asks for. */
export const LIAR_BYTES = "this repository holds nothing it claims to hold\n";

/**
 * A repository that answers every manifest and blob request 200, without asking for
 * credentials: a HEAD says "yes, that digest is here" (a tag names the digest `tags` gives
 * it), and a GET sends LIAR_BYTES. An upstream the mirror must not believe about what it
 * cached from another.
 */
export function answerLiar(request: IncomingMessage, response: ServerResponse, kind: "manifests" | "blobs", reference: string, tags: Record<string, string>): void {
  const digest = tags[reference] ?? reference;
  const contentType = kind === "manifests" ? "application/vnd.oci.image.manifest.v1+json" : "application/octet-stream";
  response.writeHead(200, { "content-type": contentType, "docker-content-digest": digest, "content-length": Buffer.byteLength(LIAR_BYTES) });
  response.end(request.method === "HEAD" ? undefined : LIAR_BYTES);
}

/** S3's answer to a presigned URL past its X-Amz-Expires. */
export function answerExpiredUrl(response: ServerResponse): void {
  const body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";
  response.writeHead(403, { "content-type": "application/xml", "content-length": Buffer.byteLength(body) });
  response.end(body);
}

export function answerTextPage(response: ServerResponse): void {
  response.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(TEXT_PAGE) });
  response.end(TEXT_PAGE);
}

export function misbehave(kind: Misbehaviour, request: IncomingMessage, response: ServerResponse, honest: { bytes: Uint8Array; contentType: string }): void {
  const head = request.method === "HEAD";
  switch (kind) {
    case "redirect-to-text-page":
      response.writeHead(307, { location: TEXT_PAGE_PATH });
      return void response.end();
    case "gzip-encoded": {
      const body = gzipSync(honest.bytes);
      response.writeHead(200, { "content-type": honest.contentType, "content-encoding": "gzip", "content-length": body.byteLength });
      return void response.end(head ? undefined : body);
    }
    case "html-content-type":
      response.writeHead(200, { "content-type": "text/html", "content-length": honest.bytes.byteLength });
      return void response.end(head ? undefined : honest.bytes);
    case "html-page": {
      response.writeHead(200, { "content-type": "text/html", "content-length": Buffer.byteLength(HTML_PAGE) });
      return void response.end(head ? undefined : HTML_PAGE);
    }
    case "html-json-parameter":
      response.writeHead(200, { "content-type": "text/html;x=json", "content-length": Buffer.byteLength(HTML_PAGE) });
      return void response.end(head ? undefined : HTML_PAGE);
    case "json-charset":
      response.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": honest.bytes.byteLength });
      return void response.end(head ? undefined : honest.bytes);
    case "html-not-found":
      response.writeHead(404, { "content-type": "text/html", "content-length": Buffer.byteLength(HTML_PAGE) });
      return void response.end(head ? undefined : HTML_PAGE);
    case "stall-whole": {
      response.writeHead(200, { "content-type": "application/octet-stream", "content-length": honest.bytes.byteLength });
      if (head) return void response.end();
      const half = honest.bytes.byteLength >> 1;
      response.write(honest.bytes.subarray(0, half));
      return void stalled.push(() => response.end(honest.bytes.subarray(half)));
    }
    case "stall-large-ranges": {
      const [start, end] = (/bytes=(\d+)-(\d+)/.exec(request.headers.range ?? "") ?? []).slice(1).map(Number);
      const bytes = honest.bytes.subarray(start, end + 1);
      response.writeHead(206, { "content-type": "application/octet-stream", "content-range": `bytes ${start}-${end}/${honest.bytes.byteLength}`, "content-length": bytes.byteLength });
      response.write(bytes.subarray(0, bytes.byteLength >> 1));
      return void stalled.push(() => response.end(bytes.subarray(bytes.byteLength >> 1)));
    }
    case "trickle-whole":
      response.writeHead(200, { "content-type": "application/octet-stream", "content-length": honest.bytes.byteLength });
      if (head) return void response.end();
      return writeSlowly(response, honest.bytes);
    case "endless-body":
      response.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      if (head) return void response.end();
      return writeEndless(response);
    case "wrong-range": {
      // As many bytes as asked for, from the start of the blob: only the offset is wrong.
      const asked = /bytes=(\d+)-(\d+)/.exec(request.headers.range ?? "");
      const length = asked ? Number(asked[2]) - Number(asked[1]) + 1 : 10;
      const part = honest.bytes.subarray(0, length);
      response.writeHead(206, { "content-type": "application/octet-stream", "content-range": `bytes 0-${length - 1}/${honest.bytes.byteLength}`, "content-length": length });
      return void response.end(head ? undefined : part);
    }
    case "chunked":
    case "chunked-padded":
      return writeChunked(response, head, honest.bytes, kind === "chunked" ? new Uint8Array() : Buffer.from("and some more"));
    case "cut-once":
    case "cut-once-ignore-range":
    case "cut-always": {
      if (head || (kind !== "cut-always" && cutAlready.has(honest.bytes))) return answerBlob(request, response, honest.bytes, kind === "cut-once-ignore-range" && !head);
      cutAlready.add(honest.bytes);
      return answerBlob(request, response, honest.bytes, false, kind === "cut-always" ? CUT_EVERY : CUT_AFTER);
    }
    case "stall-headers":
      return void stalled.push(() => response.destroy());
    case "expired-url-once": {
      if (head || expiredAlready.has(honest.bytes)) return answerBlob(request, response, honest.bytes, false);
      expiredAlready.add(honest.bytes);
      response.writeHead(302, { location: `${EXPIRED_URL_PATH}?X-Amz-Expires=2` });
      return void response.end();
    }
  }
}

/** A blob's honest answer (a 206 for a Range unless `ignoreRange`), its body cut after `cutAfter` bytes when given. */
function answerBlob(request: IncomingMessage, response: ServerResponse, blob: Uint8Array, ignoreRange: boolean, cutAfter?: number): void {
  const asked = ignoreRange ? null : /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? "");
  const [start, end] = asked ? [Number(asked[1]), Math.min(Number(asked[2]), blob.byteLength - 1)] : [0, blob.byteLength - 1];
  const body = blob.subarray(start, end + 1);
  response.writeHead(asked ? 206 : 200, {
    "content-type": "application/octet-stream",
    "content-length": body.byteLength,
    ...(asked ? { "content-range": `bytes ${start}-${end}/${blob.byteLength}` } : {}),
  });
  if (request.method === "HEAD") return void response.end();
  if (cutAfter === undefined || cutAfter >= body.byteLength) return void response.end(body);
  response.write(body.subarray(0, cutAfter), () => response.destroy());
}

function writeChunked(response: ServerResponse, head: boolean, honest: Uint8Array, extra: Uint8Array): void {
  if (head) {
    response.writeHead(200, { "content-type": "application/octet-stream", "content-length": honest.byteLength });
    return void response.end();
  }
  response.writeHead(200, { "content-type": "application/octet-stream" });
  response.write(honest);
  response.end(extra);
}

function writeEndless(response: ServerResponse): void {
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const more = () => {
    while (endless.sent < ENDLESS_BYTES) {
      endless.sent += chunk.byteLength;
      if (!response.write(chunk)) return void response.once("drain", more);
    }
    response.end();
  };
  response.on("close", () => response.destroy());
  more();
}

function writeSlowly(response: ServerResponse, bytes: Uint8Array): void {
  const step = 256 * 1024;
  let offset = 0;
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    const part = bytes.subarray(offset, offset + step);
    offset += part.byteLength;
    if (offset >= bytes.byteLength) return void response.end(part);
    if (response.write(part)) timer = setTimeout(next, 40);
    else response.once("drain", () => (timer = setTimeout(next, 40)));
  };
  response.on("close", () => clearTimeout(timer));
  next();
}
