// Fakes for the Node tests of the limits harness (limits-*.test.ts): an in-memory bucket
// with the R2 binding's shape, whose multipart uploads count bytes and keep none, so a
// test can stream gigabytes through it.

export interface FakeObject {
  key: string;
  size: number;
}

async function byteLength(value: unknown): Promise<number> {
  if (value instanceof ReadableStream) {
    let n = 0;
    const reader = (value as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value: chunk } = await reader.read();
      if (done) return n;
      n += chunk.byteLength;
    }
  }
  return (await new Response(value as BodyInit).arrayBuffer()).byteLength;
}

/** A bucket that keeps small values whole and only the size of streamed ones. */
export function fakeBucket() {
  const objects = new Map<string, { size: number; bytes: Uint8Array | null }>();
  let uploads = 0;
  return {
    objects,
    async head(key: string): Promise<FakeObject | null> {
      const object = objects.get(key);
      return object ? { key, size: object.size } : null;
    },
    async get(key: string) {
      const object = objects.get(key);
      if (!object?.bytes) return null;
      const response = new Response(object.bytes as Uint8Array<ArrayBuffer>);
      return { key, size: object.size, body: response.body!, text: () => response.text(), arrayBuffer: () => response.arrayBuffer() };
    },
    async put(key: string, value: unknown, _options?: unknown): Promise<FakeObject> {
      if (value instanceof ReadableStream) objects.set(key, { size: await byteLength(value), bytes: null });
      else {
        const bytes = new Uint8Array(await new Response(value as BodyInit).arrayBuffer());
        objects.set(key, { size: bytes.byteLength, bytes });
      }
      return { key, size: objects.get(key)!.size };
    },
    async createMultipartUpload(key: string, _options?: unknown) {
      const uploadId = `upload-${++uploads}`;
      const parts = new Map<number, number>();
      return {
        key,
        uploadId,
        async uploadPart(partNumber: number, value: unknown) {
          parts.set(partNumber, await byteLength(value));
          return { partNumber, etag: `${uploadId}-${partNumber}` };
        },
        async complete(uploaded: { partNumber: number }[]) {
          const size = uploaded.reduce((sum, part) => sum + (parts.get(part.partNumber) ?? 0), 0);
          objects.set(key, { size, bytes: null });
          return { key, size };
        },
        async abort() {},
      };
    },
  };
}

/**
 * workerd's FixedLengthStream for code under test in Node (proxy/cache/cache-relay.ts): an
 * identity transform that errors on more or fewer bytes than its length, its readable's
 * length known to the R2 rules as the runtime's would be (runtime/limits.ts's noteLength).
 */
export function installFixedLengthStream(noteLength: (stream: object, length: number) => void): void {
  class FixedLengthStream extends TransformStream<Uint8Array, Uint8Array> {
    constructor(length: number | bigint) {
      const expected = Number(length);
      let seen = 0;
      super({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > expected) throw new TypeError(`FixedLengthStream got ${seen} bytes, more than its ${expected}`);
          controller.enqueue(chunk);
        },
        flush() {
          if (seen !== expected) throw new TypeError(`FixedLengthStream closed after ${seen} of its ${expected} bytes`);
        },
      });
      noteLength(this.readable, expected);
    }
  }
  Reflect.set(globalThis, "FixedLengthStream", FixedLengthStream);
}
