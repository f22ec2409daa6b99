// R2's rules as the limits harness enforces them (runtime/limits.ts's limitedBucket), in
// Node against an in-memory bucket: one upload at most 5 GiB − 5 MiB, the size known from
// the value or a known-length stream; multipart parts all the same size but the last, each
// at least 5 MiB, at most 10,000 of them; 1 write per second per key. Each breach is
// recorded and the call fails, as R2's would. The thresholds are lowered here the way a
// worker test lowers them (limitVars), the defaults checked against the documented numbers.
import { describe, expect, it } from "vitest";
import { FREE_PLAN, Invocation, limitedBucket, MIB, newR2Books, noteLength, ViolationLog, type Limits, type R2Books } from "./runtime/limits.ts";
import { fakeBucket } from "./limits-fakes.ts";

function setup(limits: Partial<Limits> = {}, books: R2Books = newR2Books()) {
  const log = new ViolationLog();
  const invocation = new Invocation("GET /v2/test", { ...FREE_PLAN, ...limits }, log);
  const inner = fakeBucket();
  return { log, invocation, inner, bucket: limitedBucket(inner, invocation, log, books) };
}

/** A stream of `length` zero bytes the runtime would know the length of (a FixedLengthStream's readable). */
function knownLengthStream(length: number, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  const zeros = new Uint8Array(chunk);
  let left = length;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left === 0) return controller.close();
      const n = Math.min(left, chunk);
      left -= n;
      controller.enqueue(zeros.subarray(0, n));
    },
  });
  noteLength(stream, length);
  return stream;
}

describe("one put", () => {
  it("holds at most 5 GiB − 5 MiB by default, the size known from a stream's known length", async () => {
    const { log, bucket, inner } = setup();
    const limit = 5 * 1024 ** 3 - 5 * 1024 ** 2;
    expect(FREE_PLAN.r2UploadBytes).toBe(5_363_466_240);
    // A FixedLengthStream's readable, as proxy/cache/cache-relay.ts puts it.
    const fixed = new TransformStream<Uint8Array, Uint8Array>();
    noteLength(fixed.readable, limit + 1);
    await expect(bucket.put("blobs/big", fixed.readable)).rejects.toThrow(/R2 put blobs\/big: 5,363,466,241 bytes in one put \(R2 takes at most 5,363,466,240 bytes; larger objects need multipart\) \(limits harness, as R2 refuses it\)/);
    expect(log.take()).toMatchObject([{ rule: "r2-upload-size", invocation: expect.stringContaining("GET /v2/test") }]);
    expect(inner.objects.has("blobs/big")).toBe(false);
    // Refused, the stream is cancelled: a writer feeding it fails instead of waiting forever.
    await expect(fixed.writable.getWriter().write(new Uint8Array(1))).rejects.toThrow(/in one put/);
  });

  it("is refused past a lowered limit whatever the value: bytes, text, a known-length stream; up to it, stored", async () => {
    const { log, bucket, inner } = setup({ r2UploadBytes: 1000 });
    await bucket.put("a", new Uint8Array(1000));
    await bucket.put("b", knownLengthStream(1000));
    expect(inner.objects.get("b")?.size).toBe(1000);
    await expect(bucket.put("c", new Uint8Array(1001))).rejects.toThrow(/1,001 bytes in one put/);
    await expect(bucket.put("d", "é".repeat(501))).rejects.toThrow(/1,002 bytes in one put/);
    await expect(bucket.put("e", knownLengthStream(1001))).rejects.toThrow(/1,001 bytes in one put/);
    expect(log.take().map((v) => v.rule)).toEqual(["r2-upload-size", "r2-upload-size", "r2-upload-size"]);
  });
});

describe("multipart uploads", () => {
  const parts = async (bucket: ReturnType<typeof setup>["bucket"], key: string, sizes: number[]) => {
    const upload = await bucket.createMultipartUpload(key);
    const uploaded = [];
    for (const [i, size] of sizes.entries()) uploaded.push(await upload.uploadPart(i + 1, knownLengthStream(size)));
    return upload.complete(uploaded);
  };

  it("complete with parts all the same size but a smaller last one, each at least the minimum", async () => {
    const { log, bucket, inner } = setup({ r2MinPartBytes: 1024 });
    await parts(bucket, "ok", [2048, 2048, 2048, 10]);
    await parts(bucket, "one-part", [10]);
    expect(inner.objects.get("ok")?.size).toBe(6154);
    expect(log.take()).toEqual([]);
  });

  it("refuse a part but the last under 5 MiB by default, or under a lowered minimum", async () => {
    expect(FREE_PLAN.r2MinPartBytes).toBe(5 * MIB);
    await expect(parts(setup().bucket, "small", [5 * MIB - 1, 10])).rejects.toThrow(/a part but the last is under 5,242,880 bytes \(sizes 5242879, 10\)/);
    const { log, bucket } = setup({ r2MinPartBytes: 1024 });
    await expect(parts(bucket, "small", [1023, 10])).rejects.toThrow(/R2 complete small: a part but the last is under 1,024 bytes/);
    expect(log.take()).toMatchObject([{ rule: "r2-parts" }]);
  });

  it("refuse parts but the last of different sizes", async () => {
    const { log, bucket } = setup({ r2MinPartBytes: 1024 });
    await expect(parts(bucket, "uneven", [2048, 4096, 10])).rejects.toThrow(/parts but the last are not all the same size \(sizes 2048, 4096, 10\)/);
    expect(log.take()).toMatchObject([{ rule: "r2-parts" }]);
  });

  it("refuse a last part larger than the others (as the local R2 does too)", async () => {
    const { bucket } = setup({ r2MinPartBytes: 1024 });
    await expect(parts(bucket, "long-tail", [2048, 2048, 4096])).rejects.toThrow(/the last part is larger than the others \(sizes 2048, 2048, 4096\)/);
  });

  it("refuse a part over the upload limit when it is sent, and a part number past the most parts", async () => {
    const { log, bucket } = setup({ r2UploadBytes: 4096, r2MaxParts: 3 });
    const upload = await bucket.createMultipartUpload("k");
    await expect(upload.uploadPart(1, knownLengthStream(4097))).rejects.toThrow(/R2 uploadPart k #1: a part of 4,097 bytes/);
    await expect(upload.uploadPart(4, new Uint8Array(10))).rejects.toThrow(/part number 4 is outside 1\.\.3/);
    expect(log.take().map((v) => v.rule)).toEqual(["r2-upload-size", "r2-parts"]);
  });

  it("refuse more parts than the most (10,000 by default)", async () => {
    expect(FREE_PLAN.r2MaxParts).toBe(10_000);
    const { bucket } = setup({ r2MinPartBytes: 1, r2MaxParts: 3 });
    const upload = await bucket.createMultipartUpload("many");
    const uploaded = [];
    for (let i = 1; i <= 3; i++) uploaded.push(await upload.uploadPart(i, new Uint8Array(8)));
    await expect(upload.complete([...uploaded, { partNumber: 3, etag: "again" }])).rejects.toThrow(/4 parts \(R2 takes at most 3\)/);
  });
});

describe("writes to one key", () => {
  it("at most one per second: a second put within it is refused (R2's 429), after it stored", async () => {
    let now = 0;
    const books = newR2Books(() => now);
    const { log, bucket } = setup({}, books);
    await bucket.put("manifest-refs/x", "");
    now = 999;
    await expect(bucket.put("manifest-refs/x", "")).rejects.toThrow(/key manifest-refs\/x written again 999 ms after the last write \(R2 takes 1 write per 1000 ms per key, else 429\)/);
    expect(log.take()).toMatchObject([{ rule: "r2-key-rate" }]);
    await bucket.put("manifest-refs/other", "");
    now = 2000;
    await bucket.put("manifest-refs/x", "");
    expect(log.take()).toEqual([]);
  });

  it("a multipart upload's complete is a write of its key too", async () => {
    let now = 0;
    const { bucket } = setup({ r2MinPartBytes: 1 }, newR2Books(() => now));
    await bucket.put("blobs/y", "");
    now = 10;
    const upload = await bucket.createMultipartUpload("blobs/y");
    const part = await upload.uploadPart(1, new Uint8Array(8));
    await expect(upload.complete([part])).rejects.toThrow(/key blobs\/y written again 10 ms after the last write/);
  });

  it("are shared by every request of the isolate (the rule is R2's, per key, not per request)", async () => {
    let now = 0;
    const books = newR2Books(() => now);
    await setup({}, books).bucket.put("k", "");
    now = 500;
    await expect(setup({}, books).bucket.put("k", "")).rejects.toThrow(/written again 500 ms after/);
  });
});
