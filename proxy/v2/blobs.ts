// GET and HEAD /v2/<name>/blobs/<digest>. From R2 when the blob is cached (ranges too;
// read a bounded window at a time, cache/windowed-read.ts), after checking a private
// blob's requester upstream; otherwise from upstream, and a full GET fills the cache on
// the way through (see cache/verified-pump.ts). Ranged reads of a blob
// that isn't cached go straight through (a part of a blob can't be verified or stored),
// and start one full fetch in the background that fills the cache, so a blob downloaded
// in ranges (the PWA and the CLI split large layers) is cached for the next client too.
// Fills are bounded per client and per isolate, stop when no client reads the blob any
// more, and each start counts against the requester's rate limit, so a stream of one-byte
// ranges can't make the Worker download whole blobs for nobody. A full GET whose client
// leaves stops too.
import { verifyRequester, visibilityFor } from "../upstream/access.ts";
import { openBlobUpload, type BlobUpload } from "../cache/blob-upload.ts";
import { blobKey, visibilityOf } from "../cache/keys.ts";
import type { BlobStore } from "../cache/store.ts";
import { readWindowed } from "../cache/windowed-read.ts";
import type { Mirror } from "./mirror.ts";
import { contentRange, parseRange } from "./range.ts";
import { registryError } from "./errors.ts";
import { blobHeaders, checkedBlobAnswer } from "./blob-answer.ts";
import type { V2Route } from "./route.ts";
import { callUpstream, upstreamFailure } from "../upstream/fetch.ts";
import { pumpVerified } from "../cache/verified-pump.ts";
import { fillFor, markingWanted, stillWanted } from "../cache/background-fills.ts";

export async function handleBlob(request: Request, route: V2Route, mirror: Mirror): Promise<Response> {
  const cache = mirror.cache;
  const path = `blobs/${route.reference}`;
  if (cache) {
    const cached = await fromCache(request, route, cache, mirror.config.readWindow, path);
    if (cached) return cached;
  }
  const whole = request.method === "GET" && !request.headers.get("range");
  const filling = cache !== undefined && request.method === "GET" && !whole && fillInBackground(request, route, mirror, cache, path);
  if (!cache || !whole) return passThrough(request, route, mirror, path, filling);
  return fill(request, route, mirror, cache, path);
}

/**
 * Fetches the whole blob once, verified, into R2 while ranges of it are served from
 * upstream. It goes on while clients read the blob (see background-fills.ts) and stops
 * FILL_IDLE seconds after the last chunk one read; each ranged request also keeps it
 * alive in the runtime (waitUntil). False when no fill runs for the blob: a bound on
 * fills per client or per isolate was reached.
 */
function fillInBackground(request: Request, route: V2Route, mirror: Mirror, cache: BlobStore, path: string): boolean {
  const running = fillFor(route.reference, mirror.client(), () =>
    fetchIntoCache(request, route, mirror, cache, path).catch((error: unknown) => console.warn(`background fill of ${route.reference} from ${route.key}: ${String(error)}`)),
  );
  if (running) mirror.waitUntil(running);
  return running !== null;
}

/** The whole blob into R2 for a ranged request, while some client still reads it. */
async function fetchIntoCache(request: Request, route: V2Route, mirror: Mirror, cache: BlobStore, path: string): Promise<void> {
  if (mirror.countFillStart && !(await mirror.countFillStart())) return;
  // Same credentials and Accept as the client's request, but no Range and not tied to
  // the client's connection.
  const headers = new Headers(request.headers);
  headers.delete("range");
  const { upstream, visibility, length } = await fetchWhole(new Request(request.url, { method: "GET", headers }), route, path);
  if (length === null) {
    await upstream.body?.cancel();
    return;
  }
  const upload = uploadFor(cache, route, mirror, length, visibility);
  const wanted = () => stillWanted(route.reference, mirror.config.fillIdleMs);
  await Promise.all([pumpVerified(upstream.body!, { digest: route.reference, size: length }, null, upload.writable, { wanted }), upload.done]);
}

/** The upstream's answer, checked; while a fill of the blob runs, the body marks it wanted as the client reads. */
async function passThrough(request: Request, route: V2Route, mirror: Mirror, path: string, filling: boolean): Promise<Response> {
  try {
    let response = await callUpstream(request, route, path, { method: request.method as "GET" | "HEAD", range: true });
    const whole = request.method === "GET" && !request.headers.get("range");
    const size = whole ? await statedLength(response, request, route, path) : null;
    if (filling && response.body) response = new Response(markingWanted(route.reference, response.body), response);
    return checkedBlobAnswer(response, request, route, mirror.waitUntil, size ?? undefined);
  } catch (error) {
    return upstreamFailure(error, route.key);
  }
}

/** The cached blob, null when it isn't cached, or the refusal for a private one. */
async function fromCache(request: Request, route: V2Route, cache: BlobStore, readWindow: number, path: string): Promise<Response | null> {
  const key = blobKey(route.reference);
  const meta = await cache.head(key);
  if (!meta) return null;
  if (visibilityOf(meta) === "private") {
    const refusal = await verifyRequester(request, route, path);
    if (refusal) return refusal;
  }
  const headers = blobHeaders(route.reference);
  const range = parseRange(request.headers.get("range"), meta.size);
  if (range === "unsatisfiable") {
    return registryError(416, "RANGE_INVALID", `range ${request.headers.get("range")} is outside the blob's ${meta.size} bytes`, undefined, {
      "content-range": `bytes */${meta.size}`,
    });
  }
  if (request.method === "HEAD") {
    headers.set("content-length", String(meta.size));
    return new Response(null, { status: 200, headers });
  }
  const body = await readWindowed(cache, key, meta.size, range, readWindow);
  if (!body) return null; // evicted between head and get
  if (range) {
    headers.set("content-range", contentRange(range, meta.size));
    headers.set("content-length", String(range.length));
    return new Response(body, { status: 206, headers });
  }
  headers.set("content-length", String(meta.size));
  return new Response(body, { status: 200, headers });
}

/** A full GET of an uncached blob: stream it to the client and into R2 at once. */
async function fill(request: Request, route: V2Route, mirror: Mirror, cache: BlobStore, path: string): Promise<Response> {
  let whole: Awaited<ReturnType<typeof fetchWhole>>;
  try {
    whole = await fetchWhole(request, route, path);
  } catch (error) {
    return upstreamFailure(error, route.key);
  }
  const { upstream, visibility, length } = whole;
  if (length === null) return checkedBlobAnswer(upstream, request, route, mirror.waitUntil);
  let upload: BlobUpload | null = null;
  try {
    upload = uploadFor(cache, route, mirror, length, visibility);
  } catch (error) {
    console.warn(`not caching ${route.reference}: ${String(error)}`);
  }
  const client = new FixedLengthStream(length);
  // A client that leaves ends the fill too: a later request (a resume by Range) fills anew.
  const pump = pumpVerified(upstream.body!, { digest: route.reference, size: length }, client.writable as WritableStream<Uint8Array>, upload?.writable ?? null, { stopWithClient: true });
  mirror.waitUntil(pump.catch((error: unknown) => console.warn(`blob ${route.reference} from ${route.key}: ${String(error)}`)));
  if (upload) mirror.waitUntil(upload.done.catch((error: unknown) => console.warn(`R2 refused ${route.reference}: ${String(error)}`)));
  const headers = blobHeaders(route.reference);
  headers.set("content-length", String(length));
  return new Response(client.readable, { status: 200, headers });
}

/**
 * A full GET of the blob upstream, and who may be served it once cached. `length` is
 * null when the answer can't be cached (not a 200, no body or no exact length).
 */
async function fetchWhole(request: Request, route: V2Route, path: string) {
  const [upstream, visibility] = await Promise.all([
    callUpstream(request, route, path, { method: "GET" }),
    visibilityFor(request, route, path),
  ]);
  const length = await statedLength(upstream, request, route, path);
  const encoded = (upstream.headers.get("content-encoding") ?? "identity").toLowerCase() !== "identity";
  const cacheable = upstream.status === 200 && upstream.body !== null && length !== null && Number.isSafeInteger(length) && !encoded;
  return { upstream, visibility, length: cacheable ? length : null };
}

/**
 * The size a whole blob answer must have: its Content-Length, or, when it was sent
 * chunked without one (as mcr's data endpoint does), the size the registry states for a
 * HEAD of the blob. The verifier then holds the body to that size and the digest, so a
 * HEAD that lies only makes the answer fail; null when no size can be had.
 */
async function statedLength(response: Response, request: Request, route: V2Route, path: string): Promise<number | null> {
  const header = response.headers.get("content-length");
  if (header !== null) return /^\d+$/.test(header) ? Number(header) : null;
  if (response.status !== 200 || !response.body) return null;
  const head = await callUpstream(request, route, path, { method: "HEAD" });
  await head.body?.cancel();
  const size = head.headers.get("content-length");
  return head.status === 200 && size !== null && /^\d+$/.test(size) ? Number(size) : null;
}

function uploadFor(cache: BlobStore, route: V2Route, mirror: Mirror, length: number, visibility: Awaited<ReturnType<typeof visibilityFor>>): BlobUpload {
  return openBlobUpload(cache, {
    key: blobKey(route.reference),
    digest: route.reference,
    length,
    visibility,
    source: `${route.key}/${route.upstreamName}`,
    singlePutLimit: mirror.config.singlePutLimit,
  });
}
