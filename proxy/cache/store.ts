// The part of R2 the mirror's cache uses, so the cache code depends on this and not on
// the binding: an R2Bucket is one as it is, and a test can pass an in-memory one. Only
// what blobs, manifests and tag resolutions need is here: head, get (whole or one
// range), put (with the sha256 R2 checks on the way in) and multipart for big blobs,
// resumable by id across invocations of a fill (fill/blob-fill.ts).

/** What the mirror reads of a stored object. */
export interface StoredObject {
  size: number;
  customMetadata?: Record<string, string>;
  httpMetadata?: { contentType?: string };
}

export interface StoredBody extends StoredObject {
  body: ReadableStream;
}

export interface StoreMetadata {
  customMetadata?: Record<string, string>;
  httpMetadata?: { contentType?: string };
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
}

export interface MultipartUpload {
  readonly uploadId: string;
  uploadPart(partNumber: number, value: ReadableStream): Promise<UploadedPart>;
  complete(parts: UploadedPart[]): Promise<unknown>;
  abort(): Promise<void>;
}

export interface BlobStore {
  head(key: string): Promise<StoredObject | null>;
  get(key: string, options?: { range?: { offset: number; length: number } }): Promise<StoredBody | null>;
  /** With `sha256`, the store refuses bytes that don't hash to it. */
  put(key: string, value: ReadableStream | Uint8Array | string, options: StoreMetadata & { sha256?: string }): Promise<unknown>;
  createMultipartUpload(key: string, options: StoreMetadata): Promise<MultipartUpload>;
  /** An upload begun earlier (perhaps by another invocation), by its id: to add parts, complete or abort it. */
  resumeMultipartUpload(key: string, uploadId: string): MultipartUpload;
}
