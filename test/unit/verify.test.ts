// The one streaming blob verifier (shared/verify.ts): a good blob comes through whole
// however it is chunked; a wrong digest, a short or a long blob fails, and in every
// failure the consumer never receives all of the blob's bytes as a clean end.
import { createHash, randomBytes } from "node:crypto";
import { createSHA256 } from "hash-wasm";
import { describe, expect, it } from "vitest";
import { DockerdlError } from "../../shared/errors.ts";
import { BlobMismatchError, verifiedChunks, verifiedStream, type BlobHasher, type ExpectedBlob } from "../../shared/verify.ts";

const blob = new Uint8Array(randomBytes(3_001));
const expected: ExpectedBlob = { digest: `sha256:${createHash("sha256").update(blob).digest("hex")}`, size: blob.byteLength };

/** An async hasher like the Worker's DigestStream adapter: every step is a promise. */
async function asyncHasher(): Promise<BlobHasher> {
  const hash = createHash("sha256");
  return {
    update: async (data) => void hash.update(data),
    digest: async () => hash.digest("hex"),
  };
}

const hashers: [string, () => Promise<BlobHasher>][] = [["hash-wasm", createSHA256], ["an async hasher", asyncHasher]];

function split(bytes: Uint8Array, sizes: number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (let i = 0; offset < bytes.byteLength; i++) {
    const size = sizes[i % sizes.length];
    chunks.push(bytes.slice(offset, offset + size));
    offset += size;
  }
  return chunks;
}

async function* iterate(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> & { cancelled?: unknown } {
  let i = 0;
  const stream: ReadableStream<Uint8Array> & { cancelled?: unknown } = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]);
      else controller.close();
    },
    cancel(reason) {
      stream.cancelled = reason ?? "cancelled";
    },
  });
  return stream;
}

/** Everything the consumer received, and how it ended. */
async function consume(source: AsyncIterable<Uint8Array>): Promise<{ received: number; bytes: Uint8Array; error?: unknown }> {
  const parts: Uint8Array[] = [];
  let error: unknown;
  try {
    for await (const chunk of source) parts.push(chunk);
  } catch (e) {
    error = e;
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return { received: bytes.byteLength, bytes, error };
}

async function* fromStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

const corrupt = (() => {
  const bytes = blob.slice();
  bytes[bytes.length - 1] ^= 0xff;
  return bytes;
})();

const cases: [string, Uint8Array, BlobMismatchError["problem"], string][] = [
  ["a wrong digest", corrupt, "sha256 differs", "DIGEST_MISMATCH"],
  ["a short blob", blob.slice(0, blob.byteLength - 1), "too short", "SIZE_MISMATCH"],
  ["a long blob", new Uint8Array([...blob, 0]), "too long", "SIZE_MISMATCH"],
];

describe.each(hashers)("the verifier with %s", (_name, createHasher) => {
  it.each([[[blob.byteLength]], [[1]], [[3, 7]], [[1024, 1, 99]], [[blob.byteLength - 1, 1]], [[5_000]]])(
    "passes a good blob through whole, chunked as %j",
    async (sizes) => {
      const viaChunks = await consume(verifiedChunks(iterate(split(blob, sizes)), expected, await createHasher()));
      expect(viaChunks.error).toBeUndefined();
      expect(viaChunks.bytes).toEqual(blob);
      const viaStream = await consume(fromStream(verifiedStream(streamOf(split(blob, sizes)), expected, createHasher)));
      expect(viaStream.error).toBeUndefined();
      expect(viaStream.bytes).toEqual(blob);
    },
  );

  it("passes an empty blob", async () => {
    const empty = { digest: `sha256:${createHash("sha256").digest("hex")}`, size: 0 };
    expect((await consume(verifiedChunks(iterate([]), empty, await createHasher()))).error).toBeUndefined();
  });

  describe.each(cases)("refuses %s", (_what, bytes, problem, code) => {
    it.each([[[bytes.byteLength]], [[1]], [[3, 7]], [[1024]]])("and never hands over the whole blob, chunked as %j", async (sizes) => {
      const viaChunks = await consume(verifiedChunks(iterate(split(bytes, sizes)), expected, await createHasher()));
      const viaStream = await consume(fromStream(verifiedStream(streamOf(split(bytes, sizes)), expected, createHasher)));
      for (const result of [viaChunks, viaStream]) {
        expect(result.error).toBeInstanceOf(BlobMismatchError);
        expect(result.error).toBeInstanceOf(DockerdlError);
        expect(result.error).toMatchObject({ problem, code });
        expect(result.received).toBeLessThan(expected.size);
      }
    });
  });
});

describe("verifiedStream", () => {
  it("names the blob and both digests when the sha256 differs", async () => {
    const result = await consume(fromStream(verifiedStream(streamOf([corrupt]), expected, createSHA256, { what: "layer 3" })));
    expect((result.error as Error).message).toMatch(new RegExp(`^layer 3 is corrupt: expected ${expected.digest}, but the data received hashes to sha256:[0-9a-f]{64}$`));
  });

  it("says how long a short or long blob was", async () => {
    const short = await consume(fromStream(verifiedStream(streamOf([blob.slice(0, 10)]), expected, createSHA256)));
    expect((short.error as Error).message).toBe(`blob ${expected.digest} ended after 10 of its ${expected.size} bytes`);
    const long = await consume(fromStream(verifiedStream(streamOf([blob, blob]), expected, createSHA256)));
    expect((long.error as Error).message).toBe(`blob ${expected.digest} is longer than its ${expected.size} bytes`);
  });

  it("cancels its source as soon as the blob is too long", async () => {
    const source = streamOf([blob, blob, blob]);
    await consume(fromStream(verifiedStream(source, expected, createSHA256)));
    expect(source.cancelled).toBeInstanceOf(BlobMismatchError);
  });

  it("reports a match once, and replaces a mismatch with the caller's own error", async () => {
    let matches = 0;
    await consume(fromStream(verifiedStream(streamOf([blob]), expected, createSHA256, { onMatch: () => matches++ })));
    expect(matches).toBe(1);
    const mine = new Error("mine");
    const seen: BlobMismatchError[] = [];
    const result = await consume(fromStream(verifiedStream(streamOf([corrupt]), expected, createSHA256, {
      onMatch: () => matches++,
      onMismatch: (mismatch) => {
        seen.push(mismatch);
        return mine;
      },
    })));
    expect(result.error).toBe(mine);
    expect(seen.map((m) => m.problem)).toEqual(["sha256 differs"]);
    expect(matches).toBe(1);
  });

  it("passes a failing source's own error on", async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(blob.slice(0, 100));
        controller.error(new Error("connection reset"));
      },
    });
    const result = await consume(fromStream(verifiedStream(broken, expected, createSHA256)));
    expect((result.error as Error).message).toBe("connection reset");
    expect(result.received).toBe(0);
  });
});
