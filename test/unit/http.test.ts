// shared/http.ts's small readers, each the one of its kind: a body read with a cap (the
// client's answers and the Worker's requests alike), Retry-After, Content-Range, and a
// stream's chunks as an async iterable.
import { describe, expect, it } from "vitest";
import { parseContentRange, parseRetryAfter, readBody, readerChunks, streamChunks } from "../../shared/http.ts";

describe("readBody", () => {
  const request = (body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
    new Request("https://mirror.example/api", { method: "POST", body, headers, ...(typeof body === "string" ? {} : { duplex: "half" }) } as RequestInit);

  it("reads a request's body whole when it fits", async () => {
    expect(new TextDecoder().decode(await readBody(request('{"a":1}'), 16))).toBe('{"a":1}');
  });

  it("refuses a body past the cap by its stated length, or while reading one that does not say", async () => {
    await expect(readBody(request("x".repeat(17)), 16)).rejects.toBeInstanceOf(RangeError);
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(10));
      },
    });
    await expect(readBody(request(endless), 16)).rejects.toThrow(/more than the 16 bytes/);
    expect(pulled).toBeLessThan(5);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-12-01T00:00:00Z");
  it.each([
    ["120", 120_000],
    [" 0 ", 0],
    ["1.5", 1500],
    ["Tue, 01 Dec 2026 00:01:30 GMT", 90_000],
    ["Mon, 30 Nov 2026 23:00:00 GMT", 0],
    ["-1", undefined],
    ["0x10", undefined],
    ["soon", undefined],
    ["", undefined],
    [null, undefined],
  ])("%j: %s ms", (value, ms) => {
    expect(parseRetryAfter(value, now)).toBe(ms);
  });
});

describe("parseContentRange", () => {
  it.each([
    ["bytes 0-99/1234", { first: 0, last: 99, total: 1234 }],
    ["bytes 100-199/200", { first: 100, last: 199, total: 200 }],
    ["bytes */1234", null],
    ["bytes 0-99/*", null],
    ["items 0-99/1234", null],
    [null, null],
  ])("%s", (header, parsed) => {
    expect(parseContentRange(header)).toEqual(parsed);
  });
});

describe("streamChunks and readerChunks", () => {
  const stream = () => new Response(new Blob(["ab", "cd"]).stream().pipeThrough(new TransformStream())).body!;
  const text = async (chunks: AsyncIterable<Uint8Array>) => {
    let out = "";
    for await (const chunk of chunks) out += new TextDecoder().decode(chunk);
    return out;
  };

  it("gives a stream's bytes, and releases the stream when done", async () => {
    const body = stream();
    expect(await text(streamChunks(body))).toBe("abcd");
    expect(body.locked).toBe(false);
  });

  it("gives a reader's bytes and leaves the reader to its caller", async () => {
    const body = stream();
    const reader = body.getReader();
    expect(await text(readerChunks(reader))).toBe("abcd");
    expect(body.locked).toBe(true);
    expect((await reader.read()).done).toBe(true);
  });
});
