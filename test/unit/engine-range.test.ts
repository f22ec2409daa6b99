// The engine against a registry that ignores Range (every ranged GET answers 200 with
// the whole blob, as some mirrors and object stores do), through the shared registry
// client the CLI and the browser both use: the 200 becomes the blob's one stream, read
// on through its chunks; each blob crosses the network about once; no more bodies are
// open at once than connections, and every one left unread is cancelled. A cut in the
// middle of such a stream starts the blob's stream again, and passes over what arrived.
import { describe, expect, it } from "vitest";
import { downloadArchive, registryBlobSource } from "../../shared/engine/index.ts";
import { planImageArchive, writePlanToBuffer } from "../../shared/image-archive.ts";
import { parseReference } from "../../shared/reference.ts";
import { RegistryClient } from "../../shared/registry/client.ts";
import type { ResolvedImage } from "../../shared/registry/resolve.ts";
import { scriptedFetch } from "../harness/scripted-fetch.ts";
import { fast, image, memorySink, nodeHasher, streamSink } from "./engine-doubles.ts";

interface Wire {
  /** Body bytes sent, per blob. */
  sent: Map<string, number>;
  /** Bodies open now, and the most at once. */
  open: number;
  maxOpen: number;
  /** Bodies cancelled before their end. */
  cancelled: number;
  requests: number;
}

/**
 * A registry without Range: each blob GET answers 200 and the whole blob, in pieces as a
 * network gives them, counting what it sends and the bodies open. `cutOnce`: the first
 * GET of that blob breaks after that many bytes.
 */
function rangeIgnoringRegistry(blobs: Map<string, Uint8Array>, cutOnce?: { digest: string; after: number }): { fetch: ReturnType<typeof scriptedFetch>; wire: Wire } {
  const wire: Wire = { sent: new Map(), open: 0, maxOpen: 0, cancelled: 0, requests: 0 };
  let cut = cutOnce;
  const fetch = scriptedFetch((url) => {
    const digest = /\/blobs\/(sha256:[0-9a-f]+)$/.exec(url.pathname)?.[1] ?? "";
    const blob = blobs.get(digest);
    if (blob === undefined) return new Response("{}", { status: 404 });
    wire.requests++;
    const breakAt = cut?.digest === digest ? cut.after : Infinity;
    if (cut?.digest === digest) cut = undefined;
    let at = 0;
    let closed = false;
    const close = () => {
      if (!closed) wire.open--;
      closed = true;
    };
    wire.open++;
    wire.maxOpen = Math.max(wire.maxOpen, wire.open);
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        // Deliberate: a macrotask between pieces, as a network gives, so requests interleave.
        await new Promise((r) => setTimeout(r, 0));
        if (at >= breakAt) {
          close();
          return controller.error(new TypeError("terminated: other side closed"));
        }
        const piece = blob.slice(at, Math.min(blob.length, breakAt, at + 8192));
        at += piece.length;
        wire.sent.set(digest, (wire.sent.get(digest) ?? 0) + piece.length);
        controller.enqueue(piece);
        // The last byte sent: the server is done with this connection, read or not.
        if (at >= blob.length) {
          close();
          controller.close();
        }
      },
      cancel() {
        if (!closed) wire.cancelled++;
        close();
      },
    }, { highWaterMark: 0 });
    return new Response(body, { status: 200, headers: { "content-length": String(blob.length) } });
  });
  return { fetch, wire };
}

function setUp(sizes: number[], cutOnce?: (digests: string[]) => { digest: string; after: number }) {
  const { image: img, blobs } = image(sizes);
  const digests = img.layers.map((l) => l.digest);
  const { fetch, wire } = rangeIgnoringRegistry(blobs, cutOnce?.(digests));
  const client = new RegistryClient({ fetch, endpoints: { "reg.example": "https://reg.example" } });
  const resolved = { reference: parseReference("reg.example/a:v1"), layers: img.layers } as unknown as ResolvedImage;
  const plan = planImageArchive([img]);
  return { plan, blobs, wire, source: registryBlobSource(client, resolved) };
}

describe("a registry that ignores Range", () => {
  for (const readable of [true, false]) {
    it(`takes each blob's 200 as its one stream (random access, ${readable ? "read-back" : "held in memory"})`, async () => {
      const { plan, blobs, wire, source } = setUp([600_000, 10, 250_000]);
      const sink = memorySink(plan.totalSize, readable);
      const result = await downloadArchive({ plan, source, sink, createHasher: nodeHasher, chunkSize: 32 * 1024, connections: 4, earlyRequests: 4, ...fast });
      expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
      for (const [digest, bytes] of blobs) expect(wire.sent.get(digest) ?? 0, digest).toBeLessThanOrEqual(bytes.length * 1.2);
      expect(result.fetchedBytes).toBeLessThanOrEqual(860_010 * 1.2);
      expect(wire.requests).toBe(3);
      expect(wire.maxOpen).toBeLessThanOrEqual(4);
      expect(wire.open).toBe(0);
    });
  }

  it("takes each blob's 200 as its one stream (sequential)", async () => {
    const { plan, blobs, wire, source } = setUp([400_000, 200_000]);
    const sink = streamSink();
    await downloadArchive({ plan, source, sink, createHasher: nodeHasher, chunkSize: 32 * 1024, connections: 3, memoryBudget: 256 * 1024, ...fast });
    const out = new Uint8Array(plan.totalSize);
    let at = 0;
    for (const part of sink.parts) {
      out.set(part, at);
      at += part.length;
    }
    expect(out).toEqual(writePlanToBuffer(plan, blobs));
    for (const [digest, bytes] of blobs) expect(wire.sent.get(digest) ?? 0, digest).toBeLessThanOrEqual(bytes.length * 1.2);
    expect(wire.maxOpen).toBeLessThanOrEqual(3);
    expect(wire.open).toBe(0);
  });

  it("after a cut, asks for the blob again and passes over what it had, without cutting the file short", async () => {
    const { plan, blobs, wire, source } = setUp([300_000], (digests) => ({ digest: digests[0], after: 100_000 }));
    const sink = memorySink(plan.totalSize, true);
    const retries: number[] = [];
    await downloadArchive({ plan, source, sink, createHasher: nodeHasher, chunkSize: 32 * 1024, connections: 4, onRetry: (e) => retries.push(e.position), ...fast });
    expect(sink.bytes).toEqual(writePlanToBuffer(plan, blobs));
    expect(retries.length).toBe(1);
    // The retry resumes at the cut: the registry sends the blob again from its start.
    expect(retries[0]).toBeGreaterThanOrEqual(90_000);
    expect(wire.requests).toBe(2);
    expect(wire.open).toBe(0);
  });
});
