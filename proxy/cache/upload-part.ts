// One part of a multipart upload, from a stream of exactly its length, hashed on the way
// (the blob's one running SHA-256 across all its parts): R2 cannot check a multipart
// object against a digest, so a fill that writes one (fill/blob-fill.ts) checks it itself
// before completing the upload. JavaScript runs once per 1 MiB chunk; R2 may lag a bounded
// window behind.
import type { BlobHasher } from "../../shared/verify.ts";
import { chunksOf } from "./chunks.ts";
import type { MultipartUpload, UploadedPart } from "./store.ts";
import { WindowedSink } from "./windowed-sink.ts";

const CHUNK = 1024 * 1024;
const R2_LAG = 8 * 1024 * 1024;

export async function uploadPart(upload: MultipartUpload, partNumber: number, body: ReadableStream<Uint8Array>, length: number, hasher: BlobHasher): Promise<UploadedPart> {
  const part = new FixedLengthStream(length);
  const uploaded = upload.uploadPart(partNumber, part.readable);
  uploaded.catch(() => {});
  const sink = new WindowedSink(part.writable as WritableStream<Uint8Array>, R2_LAG);
  let received = 0;
  try {
    for await (const chunk of chunksOf(body, CHUNK)) {
      received += chunk.byteLength;
      if (received > length) throw new Error(`part ${partNumber} brought more than its ${length} bytes`);
      await Promise.all([hasher.update(chunk), sink.write(chunk)]);
      if (sink.failed) break;
    }
    if (received !== length && !sink.failed) throw new Error(`part ${partNumber} ended after ${received} of its ${length} bytes`);
    await sink.close();
    return await uploaded;
  } catch (error) {
    await body.cancel(error).catch(() => {});
    await sink.abort(error);
    throw error;
  }
}
