// GET and HEAD /v2/<name>/blobs/<digest>. From R2 when the blob is cached (ranges too;
// read a bounded window at a time, cache/windowed-read.ts), after checking a private
// blob's requester upstream. Otherwise from upstream:
// - on the Paid plan, a full GET of a blob that fits one R2 put is relayed to the client
//   and into R2 in one pass (cache/cache-relay.ts): R2 checks the digest, the Worker hashes
//   nothing, and the client's last bytes wait for R2's verdict; so is a range the upstream
//   answers with the whole blob (it ignores Range), instead of a fill reading it again;
// - anything else (a range, a HEAD, a blob too large for one put, any blob on the Free
//   plan, whose 10 ms of CPU a relay in JavaScript would exceed) passes straight through,
//   and the blob's fill is ordered from its Durable Object (fill/blob-fill.ts), which
//   outlives this request: the PWA and the CLI read large layers in ranges, and the next
//   client should find them cached. Each request for the blob says it is still wanted;
//   fills are bounded per client and per isolate (cache/background-fills.ts), each start
//   counts against the requester's rate limit, and its blob's size against the
//   requester's FILL_BUDGET (cache/fill-budget.ts), so one-byte ranges can't make the
//   Worker download whole blobs for nobody.
import { privateAccess, visibilityFor } from "../upstream/access.ts";
import { blobKey, blobMetadata, originOf, visibilityOf } from "../cache/keys.ts";
import type { BlobStore } from "../cache/store.ts";
import { readWindowed } from "../cache/windowed-read.ts";
import { RefusedByStore, RELAY_CHUNK, relayIntoCache } from "../cache/cache-relay.ts";
import { claimRelay, forgetFill, isOrdered, mayOrderFill, noteFill, releaseRelay } from "../cache/background-fills.ts";
import { chargeFill, refundFill } from "../cache/fill-budget.ts";
import type { Mirror } from "./mirror.ts";
import { parseContentRange } from "../../shared/http.ts";
import { contentRange, parseRange } from "./range.ts";
import { registryErrorResponse } from "./errors.ts";
import { answerEnded, blobHeaders, checkedBlobAnswer, type Resume } from "./blob-answer.ts";
import { continuationOf, resumingChunks } from "../upstream/resuming-body.ts";
import type { V2Route } from "./route.ts";
import { callUpstream, upstreamFailure } from "../upstream/fetch.ts";
import { fetchWholeBlob, statedLength, wholeBlobOf, type WholeBlob } from "../upstream/whole-blob.ts";

export async function handleBlob(request: Request, route: V2Route, mirror: Mirror): Promise<Response> {
  const cache = mirror.cache;
  const path = `blobs/${route.reference}`;
  if (cache) {
    const cached = await fromCache(request, route, mirror, cache, path);
    if (cached) return cached;
  }
  const whole = request.method === "GET" && !request.headers.get("range");
  // On the Free plan (10 ms of CPU a request) even the relay's few steps per 4 MiB are too
  // many: the client gets the upstream's body natively, and the blob's Durable Object fills
  // the cache with a native put of its own (a second upstream read, no JavaScript per byte).
  if (cache && whole && mirror.config.plan === "paid") return relayWhole(request, route, mirror, cache, path);
  const { response, relayed } = await passThrough(request, route, mirror, path, whole);
  if (cache && !relayed && request.method === "GET" && (response.status === 200 || response.status === 206)) mirror.waitUntil(orderFill(request, route, mirror, sizeOf(response), whole, answerEnded(response)));
  return response;
}

/** The blob's size as a checked answer states it: a 206's Content-Range total, a 200's Content-Length. */
function sizeOf(response: Response): number | null {
  if (response.status === 206) return parseContentRange(response.headers.get("content-range"))?.total ?? null;
  const length = response.headers.get("content-length");
  return length === null ? null : Number(length);
}

/** The blob's bytes `from`–`to` asked of the upstream again, for a transfer it cut (a fresh token and redirect). */
function resumeFor(request: Request, route: V2Route, mirror: Mirror, path: string): Resume {
  return (from, to) => callUpstream(request, route, path, { method: "GET", rangeHeader: `bytes=${from}-${to}` }, mirror);
}

/**
 * The upstream's answer, checked, and resumed if the upstream cuts it. `relayed`: the
 * answer goes into the cache as it reaches the client, so no fill is to be ordered.
 */
async function passThrough(request: Request, route: V2Route, mirror: Mirror, path: string, whole: boolean): Promise<{ response: Response; relayed: boolean }> {
  try {
    const response = await callUpstream(request, route, path, { method: request.method as "GET" | "HEAD", range: true }, mirror);
    // An upstream that ignores Range sent the whole blob for the range: on the Paid plan it
    // is relayed into the cache as a whole GET's is, rather than read a second time by a
    // fill (the client, told 200, takes it as the blob's one stream; issue #25).
    if (mirror.cache && !whole && request.method === "GET" && response.status === 200 && mirror.config.plan === "paid") {
      const visibility = await visibilityFor(request, route, path, mirror);
      return { response: await relayAnswer(request, route, mirror, mirror.cache, path, await wholeBlobOf(response, visibility, request, route, path, mirror)), relayed: true };
    }
    const size = whole ? await statedLength(response, request, route, path, mirror) : null;
    return { response: await checkedBlobAnswer(response, request, route, mirror, size ?? undefined, resumeFor(request, route, mirror, path)), relayed: false };
  } catch (error) {
    return { response: upstreamFailure(error, route.key), relayed: false };
  }
}

/** The cached blob, null when it isn't cached (or not for this requester here: upstream/access.ts), or the refusal for a private one. */
async function fromCache(request: Request, route: V2Route, mirror: Mirror, cache: BlobStore, path: string): Promise<Response | null> {
  const key = blobKey(route.reference);
  const meta = await cache.head(key);
  if (!meta) return null;
  if (visibilityOf(meta) === "private") {
    const access = await privateAccess(request, route, path, originOf(meta, mirror.config), mirror);
    if (access === "uncached") return null;
    if (access !== "serve") return access;
  }
  const headers = blobHeaders(route.reference);
  const range = parseRange(request.headers.get("range"), meta.size);
  if (range === "unsatisfiable") {
    return registryErrorResponse(416, "RANGE_INVALID", `range ${request.headers.get("range")} is outside the blob's ${meta.size} bytes`, undefined, {
      "content-range": `bytes */${meta.size}`,
    });
  }
  if (request.method === "HEAD") {
    headers.set("content-length", String(meta.size));
    return new Response(null, { status: 200, headers });
  }
  const body = await readWindowed(cache, key, meta.size, range, mirror.config.readWindow);
  if (!body) return null; // evicted between head and get
  if (range) {
    headers.set("content-range", contentRange(range, meta.size));
    headers.set("content-length", String(range.length));
    return new Response(body, { status: 206, headers });
  }
  headers.set("content-length", String(meta.size));
  return new Response(body, { status: 200, headers });
}

/**
 * A full GET of an uncached blob on the Paid plan: relayed to the client and into R2 at
 * once when it fits one put and this isolate is not relaying it already; else passed
 * through, a blob too large for one put filled by its Durable Object.
 */
async function relayWhole(request: Request, route: V2Route, mirror: Mirror, cache: BlobStore, path: string): Promise<Response> {
  let whole: WholeBlob;
  try {
    whole = await fetchWholeBlob(request, route, path, mirror);
  } catch (error) {
    return upstreamFailure(error, route.key);
  }
  return relayAnswer(request, route, mirror, cache, path, whole);
}

/** The upstream's whole answer relayed to the client and into R2 at once where it can be (see relayWhole). */
async function relayAnswer(request: Request, route: V2Route, mirror: Mirror, cache: BlobStore, path: string, whole: WholeBlob): Promise<Response> {
  const { upstream, visibility, length } = whole;
  const resume = resumeFor(request, route, mirror, path);
  if (length === null) return checkedBlobAnswer(upstream, request, route, mirror, undefined, resume);
  if (length > mirror.config.singlePutLimit) {
    const answer = await checkedBlobAnswer(upstream, request, route, mirror, length, resume);
    mirror.waitUntil(orderFill(request, route, mirror, length, true, answerEnded(answer)));
    return answer;
  }
  if (!claimRelay(route.reference)) return checkedBlobAnswer(upstream, request, route, mirror, length, resume);
  const client = new FixedLengthStream(length);
  const what = `blob ${route.reference} from ${route.key}`;
  const chunks = resumingChunks(upstream.body!, {
    length,
    chunkSize: RELAY_CHUNK,
    idleMs: mirror.config.upstreamDeadlines.idleMs,
    what,
    reopen: async (offset) => continuationOf(await resume(offset, length - 1), offset, length, what),
  });
  const relay = relayIntoCache(chunks, length, {
    client: client.writable as WritableStream<Uint8Array>,
    store: (body) => cache.put(blobKey(route.reference), body, { sha256: route.reference.replace(/^sha256:/, ""), ...blobMetadata(route, visibility) }),
  });
  const logged = relay.catch((error: unknown) => {
    if (error instanceof RefusedByStore) console.warn(`R2 refused ${route.reference} from ${route.key}: ${String(error.cause)}`);
    else console.warn(`blob ${route.reference} from ${route.key}: ${String(error)}`);
  });
  mirror.waitUntil(logged.finally(() => releaseRelay(route.reference)));
  const headers = blobHeaders(route.reference);
  headers.set("content-length", String(length));
  return new Response(client.readable, { status: 200, headers });
}

/**
 * Tells the blob's fill that a client wants the blob, and orders one if none runs and
 * this client may start one. A client reading the whole blob may always: it moves the
 * whole blob itself (docker pulls every layer at once); the bounds and the rate limit keep
 * cheap ranges from starting whole downloads. While this request's answer is still
 * streaming (`answerEnds` not yet settled), it says again every half FILL_IDLE that the
 * blob is wanted: one long read (docker, skopeo and containerd read a layer in one GET)
 * is a client reading, and its fill must not stop FILL_IDLE after the request began
 * (it did: a 2 GiB layer whose fill outlasted 30 s was never cached). A client that
 * leaves stops the saying at once (request.signal), and the platform ends it 30 s after
 * the answer at the latest (waitUntil). Never throws: caching is a favour.
 */
async function orderFill(request: Request, route: V2Route, mirror: Mirror, size: number | null, whole: boolean, answerEnds?: Promise<void>): Promise<void> {
  const fills = mirror.fills;
  if (!fills) return;
  try {
    const now = mirror.now();
    const client = mirror.client();
    // A blob this isolate ordered already may be ordered again (the object runs one fill at
    // most); a new order must fit the bounds and the requester's rate limit (a whole read
    // need not), and is charged to the requester's fill budget (cache/fill-budget.ts).
    const again = isOrdered(route.reference, now, mirror.config.fillIdleMs);
    const charged =
      !again &&
      (whole || ((await mayOrderFill(route.reference, client, now, mirror.config.fillIdleMs, fills.running)) && (!mirror.countFillStart || (await mirror.countFillStart())))) &&
      chargeFill(client, size, mirror.config.fillBudget, now);
    const mayStart = again || charged;
    const answer = await fills.want({
      digest: route.reference,
      url: request.url,
      authorization: request.headers.get("authorization"),
      accept: request.headers.get("accept"),
      size,
      mayStart,
    });
    if (charged && !answer.started) refundFill(client, size, now);
    if (answer.running) noteFill(route.reference, client, now);
    else forgetFill(route.reference);
    if (answer.running && answerEnds !== undefined) {
      await wantedWhileStreaming(answerEnds, request.signal, mirror.config.fillIdleMs / 2, async () => (await fills.want({
        digest: route.reference,
        url: request.url,
        authorization: request.headers.get("authorization"),
        accept: request.headers.get("accept"),
        size,
        mayStart: false,
      })).running);
    }
  } catch (error) {
    console.warn(`could not order the fill of ${route.reference}: ${String(error)}`);
  }
}

/** Calls `wanted` every `everyMs` until the answer has streamed, the client left, or `wanted` says the fill is over. */
async function wantedWhileStreaming(answerEnds: Promise<void>, clientGone: AbortSignal | undefined, everyMs: number, wanted: () => Promise<boolean>): Promise<void> {
  let streaming = true;
  const ended = answerEnds.finally(() => (streaming = false));
  for (;;) {
    let wake = () => {};
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const timer = setTimeout(wake, everyMs);
    clientGone?.addEventListener("abort", wake, { once: true });
    await Promise.race([ended, woken]);
    clearTimeout(timer);
    clientGone?.removeEventListener("abort", wake);
    if (!streaming || clientGone?.aborted === true || !(await wanted())) return;
  }
}
