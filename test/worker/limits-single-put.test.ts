// R2 takes at most 5 GiB − 5 MiB in one put (https://developers.cloudflare.com/r2/platform/limits/:
// "The max upload size is 5 MiB less than 5 GiB"), so a blob a little under 5 GiB must go
// to R2 by multipart. proxy/cache/blob-upload.ts's openBlobUpload, with the default
// singlePutLimit (proxy/config.ts), is given such a blob here, in Node, against the limits
// harness's R2 rules over an in-memory bucket that counts bytes and keeps none (5 GiB of one
// reused zero-filled buffer streams through in seconds). Written to fail on the code of
// 2026-12 (R2_MAX_SINGLE_PUT = 5 GiB: one put, which R2 refuses) and pass once the limit
// is R2's.
import { expect, it } from "vitest";
import { openBlobUpload } from "../../proxy/cache/blob-upload.ts";
import { loadConfig } from "../../proxy/config.ts";
import { fakeBucket, installFixedLengthStream } from "./limits-fakes.ts";
import { FREE_PLAN, GIB, Invocation, limitedBucket, MIB, newR2Books, noteLength, ViolationLog } from "./runtime/limits.ts";

declare global {
  /** workerd's, installed by installFixedLengthStream in Node. */
  var FixedLengthStream: new (length: number | bigint) => TransformStream<Uint8Array, Uint8Array>;
}

installFixedLengthStream(noteLength);

it("a blob of 5 GiB − 1 MiB goes into R2 whole with the default singlePutLimit, within R2's limits", { timeout: 300_000 }, async () => {
  const log = new ViolationLog();
  const inner = fakeBucket();
  const bucket = limitedBucket(inner, new Invocation("GET /v2/…/blobs/sha256:…", FREE_PLAN, log), log, newR2Books());
  const length = 5 * GIB - MIB;
  const key = `blobs/sha256/${"0".repeat(64)}`;
  const upload = openBlobUpload(bucket, {
    key,
    digest: `sha256:${"0".repeat(64)}`,
    length,
    visibility: "public",
    source: "registry.test/big",
    singlePutLimit: loadConfig({}).singlePutLimit,
  });
  const written = (async () => {
    const writer = upload.writable.getWriter();
    const chunk = new Uint8Array(MIB);
    for (let sent = 0; sent < length; sent += MIB) await writer.write(chunk);
    await writer.close();
  })();
  await Promise.all([upload.done, written]);
  expect(log.take()).toEqual([]);
  expect(await inner.head(key)).toEqual({ key, size: length });
});
