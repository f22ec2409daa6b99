// proxy/upstream/resuming-body.ts in Node: a body cut by an error, one that ends short and
// one that stands still are continued from where they stopped; a resumed range answered
// whole is skipped to the offset; too many cuts, a resume that brings nothing, or an
// answer that is not the bytes asked for end in an error, never a short clean end.
import { describe, expect, it } from "vitest";
import { continuationOf, resumingChunks, ResumeFailed, type Continuation } from "../../proxy/upstream/resuming-body.ts";

const blob = new Uint8Array(10_000).map((_, i) => (i * 7) % 251);

/** A stream of `bytes` in pieces of 1,000, then `end`: a clean end, an error, or standing still. */
function body(bytes: Uint8Array, end: "close" | "error" | "stall" = "close"): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset < bytes.byteLength) {
        controller.enqueue(bytes.slice(offset, offset + 1000));
        offset += 1000;
      } else if (end === "close") controller.close();
      else if (end === "error") controller.error(new TypeError("terminated"));
      else return new Promise<void>(() => {});
    },
  });
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: number[] = [];
  for await (const chunk of chunks) parts.push(...chunk);
  return new Uint8Array(parts);
}

const spec = (reopen: (offset: number) => Promise<Continuation>, idleMs = 0) => ({ length: blob.byteLength, reopen, chunkSize: 1024 * 1024, idleMs, what: "blob x" });

describe("resumingChunks", () => {
  it.for(["error", "close", "stall"] as const)("continues a body cut by %s from where it stopped", async (end) => {
    const asked: number[] = [];
    const reopen = async (offset: number) => (asked.push(offset), { body: body(blob.subarray(offset)), skip: 0 });
    expect(await collect(resumingChunks(body(blob.subarray(0, 3000), end), spec(reopen, end === "stall" ? 50 : 0)))).toEqual(blob);
    expect(asked).toEqual([3000]);
  });

  it("skips what a server that ignores Range sends again", async () => {
    const reopen = async (offset: number) => ({ body: body(blob), skip: offset });
    expect(await collect(resumingChunks(body(blob.subarray(0, 4500), "error"), spec(reopen)))).toEqual(blob);
  });

  it("gives up after 3 resumes, with an error", async () => {
    let resumes = 0;
    const reopen = async (offset: number) => (resumes++, { body: body(blob.subarray(offset, offset + 1000), "error"), skip: 0 });
    await expect(collect(resumingChunks(body(blob.subarray(0, 1000), "error"), spec(reopen)))).rejects.toThrow(ResumeFailed);
    expect(resumes).toBe(3);
  });

  it("gives up when a resume brings nothing", async () => {
    let resumes = 0;
    const reopen = async () => (resumes++, { body: body(new Uint8Array(), "error"), skip: 0 });
    await expect(collect(resumingChunks(body(blob.subarray(0, 1000), "error"), spec(reopen)))).rejects.toThrow(/sent nothing more/);
    expect(resumes).toBe(1);
  });

  it("refuses a body longer than stated, its last bytes held back", async () => {
    const padded = new Uint8Array([...blob, 1, 2, 3]);
    const seen: number[] = [];
    const reading = (async () => {
      for await (const chunk of resumingChunks(body(padded), spec(() => Promise.reject(new Error("not asked"))))) seen.push(chunk.byteLength);
    })();
    await expect(reading).rejects.toThrow(/more than the 10000 bytes/);
    expect(seen.reduce((a, b) => a + b, 0)).toBeLessThan(blob.byteLength);
  });
});

describe("continuationOf", () => {
  const answer = (status: number, headers: Record<string, string>) => new Response(body(blob), { status, headers });

  it("takes a 206 from exactly the offset", async () => {
    expect((await continuationOf(answer(206, { "content-range": "bytes 500-9999/10000" }), 500, 10_000, "blob x")).skip).toBe(0);
  });

  it("takes a 200 of the whole blob, the offset to skip", async () => {
    expect((await continuationOf(answer(200, { "content-length": "10000" }), 500, 10_000, "blob x")).skip).toBe(500);
  });

  it.for([
    [206, { "content-range": "bytes 0-9499/10000" }],
    [206, { "content-range": "bytes 500-9999/20000" }],
    [200, { "content-length": "9500" }],
    [404, {}],
  ] as const)("refuses %s %o", async ([status, headers]) => {
    await expect(continuationOf(answer(status, headers), 500, 10_000, "blob x")).rejects.toThrow(ResumeFailed);
  });
});
