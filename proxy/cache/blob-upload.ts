// Writes one blob into R2 as it streams past. Up to the single-put limit (5 GiB) it is
// one `put` of a FixedLengthStream with the blob's sha256, so R2 itself refuses bytes
// that don't match the digest. Larger blobs take the multipart API with equal-size parts
// (R2 requires it); R2 can't check a multipart object's sha256, so those rely on the
// pump's own digest check, which aborts the upload instead of completing it.
import type { Visibility } from "./keys.ts";
import type { BlobStore, MultipartUpload, StoreMetadata, UploadedPart } from "./store.ts";

const MIB = 1024 * 1024;
const MIN_PART = 5 * MIB;
const DEFAULT_PART = 100 * MIB;
const MAX_PARTS = 10_000;

export interface BlobUpload {
  writable: WritableStream<Uint8Array>;
  /** Settles when R2 has the object (or has refused it). */
  done: Promise<unknown>;
}

export interface UploadInfo {
  key: string;
  digest: string;
  length: number;
  visibility: Visibility;
  /** The repository it was first fetched from, for the operator's curiosity. */
  source: string;
  singlePutLimit: number;
}

function partSizeFor(length: number, singlePutLimit: number): number {
  const spread = Math.ceil(length / MAX_PARTS / MIB) * MIB;
  return Math.max(MIN_PART, spread, Math.min(DEFAULT_PART, singlePutLimit));
}

export function openBlobUpload(bucket: BlobStore, info: UploadInfo): BlobUpload {
  const customMetadata = { visibility: info.visibility, source: info.source };
  const httpMetadata = { contentType: "application/octet-stream" };
  if (info.length <= info.singlePutLimit) {
    const fixed = new FixedLengthStream(info.length);
    const done = bucket.put(info.key, fixed.readable, { sha256: info.digest.replace(/^sha256:/, ""), customMetadata, httpMetadata });
    return { writable: fixed.writable as WritableStream<Uint8Array>, done };
  }
  return multipartUpload(bucket, info, partSizeFor(info.length, info.singlePutLimit), { customMetadata, httpMetadata });
}

function multipartUpload(bucket: BlobStore, info: UploadInfo, partSize: number, options: StoreMetadata): BlobUpload {
  let upload: MultipartUpload | undefined;
  const parts: UploadedPart[] = [];
  let part: { writer: WritableStreamDefaultWriter<Uint8Array>; uploaded: Promise<UploadedPart>; remaining: number } | null = null;
  let written = 0;
  let settle!: (value: unknown) => void;
  let fail!: (reason: unknown) => void;
  const done = new Promise((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const giveUp = async (reason: unknown) => {
    await part?.writer.abort(reason).catch(() => {});
    await upload?.abort().catch(() => {});
    fail(reason);
  };
  const writable = new WritableStream<Uint8Array>({
    async start() {
      upload = await bucket.createMultipartUpload(info.key, options);
    },
    async write(chunk) {
      try {
        let offset = 0;
        while (offset < chunk.byteLength) {
          if (!part) {
            const size = Math.min(partSize, info.length - written);
            if (size <= 0) throw new Error(`blob is longer than its ${info.length} bytes`);
            const fixed = new FixedLengthStream(size);
            part = { writer: fixed.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array>, uploaded: upload!.uploadPart(parts.length + 1, fixed.readable), remaining: size };
          }
          const n = Math.min(part.remaining, chunk.byteLength - offset);
          await part.writer.write(chunk.subarray(offset, offset + n));
          part.remaining -= n;
          offset += n;
          written += n;
          if (part.remaining === 0) {
            await part.writer.close();
            parts.push(await part.uploaded);
            part = null;
          }
        }
      } catch (error) {
        await giveUp(error);
        throw error;
      }
    },
    async close() {
      if (part || written !== info.length) {
        const error = new Error(`blob ended after ${written} of ${info.length} bytes`);
        await giveUp(error);
        throw error;
      }
      settle(await upload!.complete(parts));
    },
    async abort(reason) {
      await giveUp(reason);
    },
  });
  return { writable, done };
}
