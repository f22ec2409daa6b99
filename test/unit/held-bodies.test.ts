// When the web app reads a response body whole into a Blob (web/lib/byob-body.ts's
// readHeld, decided by web/lib/held-bodies.ts): an origin not measured yet gets one whole
// read at a time as a probe, one measured fast gets every body read whole, one measured
// slow (or whose whole read failed) a probe again only after REPROBE_AFTER bodies read
// piece by piece; a pause says nothing of an origin's pace. Only the whole body at its
// length on the wire, never after a piece was read. Node's Response and Blob stand in
// for the browser's (the same web APIs).
import { beforeEach, describe, expect, it } from "vitest";
import { readableInto } from "../../web/lib/byob-body.ts";
import { forgetOrigins, heldSoFar, mayHold, REPROBE_AFTER, wholeRead, wholeReadFailed } from "../../web/lib/held-bodies.ts";

const MiB = 1 << 20;
const origin = "http://127.0.0.1:9";
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31) % 251);

/** A response as fetch gives it: a byte stream with a Content-Length, from `origin`. */
function response(body: Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}): Response {
  const r = new Response(new ReadableStream({ type: "bytes", start(c) {
    c.enqueue(body.slice());
    c.close();
  } }), { status: 206, headers: { "content-length": String(body.length), ...headers } });
  Object.defineProperty(r, "url", { value: `${origin}/v2/x/blobs/sha256:ab` });
  return r;
}

/** Marks the origin as measured fast (a 16 MiB whole read in 100 ms). */
function measuredFast(): void {
  expect(mayHold(origin, 16 * MiB)).toBe(true);
  wholeRead(origin, 16 * MiB, 100);
}

describe("which bodies are read whole", () => {
  beforeEach(() => forgetOrigins());

  it("probes an origin not measured yet with one whole read at a time, then reads all whole once it came fast", () => {
    expect(mayHold(origin, 16 * MiB)).toBe(true);
    // While the probe runs, the other connections go piece by piece.
    expect(mayHold(origin, 16 * MiB)).toBe(false);
    expect(mayHold(origin, 16 * MiB)).toBe(false);
    wholeRead(origin, 16 * MiB, 500);
    expect(mayHold(origin, 16 * MiB)).toBe(true);
    expect(mayHold(origin, 16 * MiB)).toBe(true);
    // Another origin is measured on its own.
    expect(mayHold("http://127.0.0.1:10", 16 * MiB)).toBe(true);
    expect(mayHold("http://127.0.0.1:10", 16 * MiB)).toBe(false);
  });

  it("probes an origin measured slow again only after REPROBE_AFTER bodies read piece by piece", () => {
    expect(mayHold(origin, 16 * MiB)).toBe(true);
    wholeRead(origin, 16 * MiB, 4000); // 4 MB/s
    for (let i = 0; i < REPROBE_AFTER; i++) expect(mayHold(origin, 16 * MiB)).toBe(false);
    expect(mayHold(origin, 16 * MiB)).toBe(true);
    expect(mayHold(origin, 16 * MiB)).toBe(false);
  });

  it("counts an origin whose whole read failed as slow, one paused as unmeasured", () => {
    expect(mayHold(origin, 16 * MiB)).toBe(true);
    wholeReadFailed(origin, true);
    expect(mayHold(origin, 16 * MiB)).toBe(true);
    wholeReadFailed(origin);
    expect(mayHold(origin, 16 * MiB)).toBe(false);
  });

  it("reads neither small nor very large bodies whole", () => {
    measuredFast();
    expect(mayHold(origin, MiB - 1)).toBe(false);
    expect(mayHold(origin, 33 * MiB)).toBe(false);
    expect(mayHold(origin, MiB)).toBe(true);
  });
});

describe("a response body read whole", () => {
  beforeEach(() => forgetOrigins());

  it("is the body's bytes as a Blob, counted as read whole", async () => {
    const data = bytes(2 * MiB);
    const before = { ...heldSoFar };
    const held = await readableInto(response(data)).body?.getReader().readHeld?.(data.length);
    expect(held).toBeInstanceOf(Blob);
    expect(new Uint8Array(await (held as Blob).arrayBuffer())).toEqual(data);
    expect(heldSoFar).toEqual({ bodies: before.bodies + 1, bytes: before.bytes + data.length, stalled: before.stalled });
    // Its pace was measured: a 2 MiB Blob from memory comes far faster than HELD_MIN_RATE.
    expect(mayHold(origin, 16 * MiB)).toBe(true);
    expect(mayHold(origin, 16 * MiB)).toBe(true);
  });

  it("is declined for another length than the body's, an encoded body, or after a piece was read", async () => {
    measuredFast();
    const data = bytes(2 * MiB);
    expect(await readableInto(response(data)).body?.getReader().readHeld?.(data.length - 1)).toBeUndefined();
    expect(await readableInto(response(data, { "content-encoding": "gzip" })).body?.getReader().readHeld?.(data.length)).toBeUndefined();
    const reader = readableInto(response(data)).body?.getReader();
    expect((await reader?.read())?.value?.length).toBeGreaterThan(0);
    expect(await reader?.readHeld?.(data.length)).toBeUndefined();
  });

  it("fails as the connection did, and its origin then counts as slow", async () => {
    const broken = new Response(new ReadableStream({ type: "bytes", pull(c) {
      c.error(new TypeError("network error"));
    } }), { headers: { "content-length": String(2 * MiB) } });
    Object.defineProperty(broken, "url", { value: `${origin}/v2/x/blobs/sha256:ab` });
    await expect(readableInto(broken).body?.getReader().readHeld?.(2 * MiB)).rejects.toThrow();
    expect(mayHold(origin, 16 * MiB)).toBe(false);
  });
});
