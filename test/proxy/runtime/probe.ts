// Test-only routes of the test Worker (LIMITS_PROBE_PATH) that break Cloudflare's limits on
// purpose, through the same wrapped fetch, R2 binding and ctx.waitUntil the proxy gets:
// the tests of the harness itself (test/proxy/limits-worker.test.ts) prove with them that
// each rule is enforced in workerd, per request, and that SETTLE_PATH stops waiting for work
// the platform would have cut off. Never part of the Worker that is deployed.
// Plain TypeScript (Node's types check it too): what it needs of the Worker comes in as ProbeKit.
import { LIMITS_PROBE_PATH } from "./settle-path.ts";

interface UploadedPart {
  partNumber: number;
  etag: string;
}

/** The part of an R2 binding the probes use. */
export interface ProbeBucket {
  head(key: string): Promise<unknown>;
  put(key: string, value: ReadableStream | Uint8Array): Promise<unknown>;
  createMultipartUpload(key: string): Promise<{ uploadPart(partNumber: number, value: Uint8Array): Promise<UploadedPart>; complete(parts: UploadedPart[]): Promise<unknown>; abort(): Promise<void> }>;
}

/** The test-only Durable Object (entry.ts's LimitsProbe): each call is its own invocation. */
export interface ProbeObject {
  fetches(target: string, count: number): Promise<Tally>;
  /** Arms its alarm to make `count` fetches of `target`; `alarmed` answers what they did. */
  arm(target: string, count: number): Promise<void>;
  alarmed(): Promise<Tally | null>;
}

/** What a probe is handed: the (limited) bucket, ctx.waitUntil, the runtime's FixedLengthStream, the Durable Object if bound. */
export interface ProbeKit {
  bucket: ProbeBucket;
  waitUntil(promise: Promise<unknown>): void;
  fixedLength(length: number): { readable: ReadableStream; writable: WritableStream };
  object?: (name: string) => ProbeObject;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Tally {
  ok: number;
  errors: string[];
}

/**
 * `count` GETs of `target`, `parallel` at a time. Each body is read at once ("read"), left
 * unread until its batch has answered and then cancelled ("hold"), or left unread until
 * all have answered ("keep").
 */
export async function fetches(target: string, count: number, parallel = 1, bodies = "read"): Promise<Tally> {
  const tally: Tally = { ok: 0, errors: [] };
  const kept: Response[] = [];
  for (let done = 0; done < count; done += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - done) }, async () => {
      try {
        const response = await fetch(target);
        if (bodies === "read") await response.arrayBuffer();
        tally.ok++;
        return response;
      } catch (error) {
        tally.errors.push(String(error));
        return null;
      }
    });
    const responses = (await Promise.all(batch)).filter((response) => response !== null);
    if (bodies === "hold") await Promise.all(responses.map((response) => response.body?.cancel()));
    if (bodies === "keep") kept.push(...responses);
  }
  await Promise.all(kept.map((response) => response.body?.cancel()));
  return tally;
}

/** `count` HEADs of R2 keys. */
async function heads(bucket: ProbeBucket, count: number): Promise<Tally> {
  const tally: Tally = { ok: 0, errors: [] };
  for (let i = 0; i < count; i++) {
    try {
      await bucket.head(`probe/${i}`);
      tally.ok++;
    } catch (error) {
      tally.errors.push(String(error));
    }
  }
  return tally;
}

/** A multipart upload of parts of these sizes to `key`, completed; what R2 said. */
async function multipart(bucket: ProbeBucket, key: string, sizes: number[]): Promise<string> {
  const upload = await bucket.createMultipartUpload(key);
  try {
    const parts: UploadedPart[] = [];
    for (const [i, size] of sizes.entries()) parts.push(await upload.uploadPart(i + 1, new Uint8Array(size)));
    await upload.complete(parts);
    return "stored";
  } catch (error) {
    await upload.abort().catch(() => {});
    return String(error);
  }
}

const settled = (promise: Promise<unknown>) => promise.then(() => "stored", (error: unknown) => String(error));

export async function probe(url: URL, { bucket, waitUntil, fixedLength, object }: ProbeKit): Promise<Response> {
  const name = url.pathname.slice(LIMITS_PROBE_PATH.length);
  const number = (key: string, fallback: number) => Number(url.searchParams.get(key) ?? fallback);
  switch (name) {
    case "fetch": {
      const work = fetches(url.searchParams.get("url")!, number("count", 1), number("parallel", 1), url.searchParams.get("bodies") ?? "read");
      if (!url.searchParams.has("after")) return Response.json(await work);
      waitUntil(work);
      return Response.json({ answered: true });
    }
    case "r2-heads":
      return Response.json(await heads(bucket, number("count", 1)));
    case "r2-put": {
      const key = url.searchParams.get("key") ?? "probe/put";
      const results = [];
      for (let i = 0; i < number("times", 1); i++) results.push(await settled(bucket.put(key, new Uint8Array(number("bytes", 1)))));
      return Response.json(results);
    }
    case "r2-put-stream": {
      // A put of a FixedLengthStream, the way proxy/cache/cache-relay.ts writes a blob.
      const bytes = number("bytes", 1);
      const fixed = fixedLength(bytes);
      const stored = settled(bucket.put(url.searchParams.get("key") ?? "probe/stream", fixed.readable));
      const writer = (fixed.writable as WritableStream<Uint8Array>).getWriter();
      const written = writer.write(new Uint8Array(bytes)).then(() => writer.close()).then(() => "written", (error: unknown) => String(error));
      return Response.json({ stored: await stored, written: await written });
    }
    case "r2-multipart":
      return Response.json(await multipart(bucket, url.searchParams.get("key") ?? "probe/multipart", (url.searchParams.get("parts") ?? "").split(",").map(Number)));
    case "wait": {
      // Work that outlives the response by `ms`.
      waitUntil(sleep(number("ms", 0)));
      return new Response("answered");
    }
    case "stream": {
      // An endless answer, and work that outlives it by `ms`: the client leaves when it likes.
      waitUntil(sleep(number("ms", 0)));
      return new Response(new ReadableStream({ pull: (controller) => controller.enqueue(new Uint8Array(1024)) }));
    }
    case "object": {
      // Calls of the Durable Object, each its own invocation with its own count; a call
      // refused (a subrequest of this request past its limit) ends the list with its error.
      const stub = object!(url.searchParams.get("name") ?? "probe");
      const target = url.searchParams.get("url")!;
      const count = number("count", 1);
      const results: (Tally | string)[] = [];
      try {
        if (url.searchParams.get("via") === "alarm") {
          await stub.arm(target, count);
          let tally: Tally | null = null;
          while (!(tally = await stub.alarmed())) await sleep(50);
          results.push(tally);
        } else {
          for (let i = 0; i < number("calls", 1); i++) results.push(await stub.fetches(target, count));
        }
      } catch (error) {
        results.push(String(error));
      }
      return Response.json(results);
    }
    default:
      return new Response(`no probe ${name}`, { status: 404 });
  }
}
