// R2 takes at most 5 GiB − 5 MiB in one put (https://developers.cloudflare.com/r2/platform/limits/:
// "The max upload size is 5 MiB less than 5 GiB"). The mirror relays a whole blob into one
// put when it is at most the config's singlePutLimit (proxy/v2/blobs.ts; larger ones go to
// a multipart fill), so the default limit must be one R2 accepts. Here the relay
// (proxy/cache/cache-relay.ts) is given a blob of exactly the default limit, in Node,
// against the limits harness's R2 rules over an in-memory bucket that counts bytes and
// keeps none (5 GiB of one reused zero-filled buffer streams through in seconds): it goes
// in whole, and one byte more is refused, so the limit is R2's to the byte (the client is
// served all the same: a refused put costs only the caching). Written against the code
// of 2026-12-05 (the limit was 5 GiB, which R2 refuses), where it failed.
import { streamChunks } from "../../shared/http.ts";
import { expect, it } from "vitest";
import { relayIntoCache } from "../../proxy/cache/cache-relay.ts";
import { loadConfig } from "../../proxy/config.ts";
import { fakeBucket, installFixedLengthStream } from "./limits-fakes.ts";
import { FREE_PLAN, Invocation, limitedBucket, MIB, newR2Books, noteLength, ViolationLog } from "./runtime/limits.ts";

declare global {
  /** workerd's, installed by installFixedLengthStream in Node. */
  var FixedLengthStream: new (length: number | bigint) => TransformStream<Uint8Array, Uint8Array>;
}

installFixedLengthStream(noteLength);

/** `length` zero bytes, a reused MiB at a time. */
function zeros(length: number): ReadableStream<Uint8Array> {
  const chunk = new Uint8Array(MIB);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      const n = Math.min(MIB, length - sent);
      controller.enqueue(n === MIB ? chunk : chunk.subarray(0, n));
      sent += n;
      if (sent === length) controller.close();
    },
  });
}

async function relay(length: number) {
  const log = new ViolationLog();
  const inner = fakeBucket();
  const bucket = limitedBucket(inner, new Invocation("GET /v2/…/blobs/sha256:…", FREE_PLAN, log), log, newR2Books());
  const key = `blobs/sha256/${"0".repeat(64)}`;
  const relayed = relayIntoCache(streamChunks(zeros(length)), length, {
    client: new WritableStream(),
    store: (body) => bucket.put(key, body, { sha256: "0".repeat(64) }),
  });
  const outcome = await relayed.then(() => "relayed", (error: unknown) => String(error));
  return { outcome, violations: log.take().map((v) => v.rule), stored: await inner.head(key) };
}

it("a blob of the default singlePutLimit goes into R2 in one put, and one byte more would not", { timeout: 300_000 }, async () => {
  const limit = loadConfig({}).singlePutLimit;
  expect(await relay(limit)).toEqual({ outcome: "relayed", violations: [], stored: { key: expect.any(String), size: limit } });
  const over = await relay(limit + 1);
  expect(over.outcome).toBe("relayed");
  expect(over.violations).toEqual(["r2-upload-size"]);
  expect(over.stored).toBeNull();
});
