// The layout of a tar archive, computed before any blob byte exists: every header,
// every offset and the total size. A random-access sink writes each blob at its final
// offset in parallel; a sequential sink knows the exact Content-Length up front.

import { BLOCK_SIZE, TAR_END, tarHeader, tarPadding } from "./tar-header.ts";

/** An entry whose content is known now: a small file, or a directory (no bytes). */
export interface InlineTarInput {
  name: string;
  bytes?: Uint8Array;
  type?: "file" | "directory";
  mode?: number;
  mtime?: number;
}

/** A file whose `size` bytes arrive later, identified by `key` (e.g. a layer digest). */
export interface BlobTarInput {
  name: string;
  key: string;
  size: number;
  mode?: number;
  mtime?: number;
}

export type TarInput = InlineTarInput | BlobTarInput;

export interface TarBytesSegment {
  kind: "bytes";
  offset: number;
  bytes: Uint8Array<ArrayBuffer>;
}

export interface TarBlobSegment {
  kind: "blob";
  key: string;
  offset: number;
  size: number;
}

export type TarSegment = TarBytesSegment | TarBlobSegment;

export interface TarPlan {
  /** In file order, contiguous from 0 to totalSize; adjacent bytes are merged. */
  segments: readonly TarSegment[];
  totalSize: number;
}

/**
 * Lays out the entries in the given order. Names must be unique and so must blob keys:
 * each blob has exactly one place in the file.
 */
export function planTar(entries: readonly TarInput[]): TarPlan {
  const segments: TarSegment[] = [];
  let pending: Uint8Array[] = [];
  let pendingStart = 0;
  let offset = 0;
  const names = new Set<string>();
  const keys = new Set<string>();

  const pushBytes = (bytes: Uint8Array): void => {
    if (bytes.length === 0) return;
    if (pending.length === 0) pendingStart = offset;
    pending.push(bytes);
    offset += bytes.length;
  };
  const flush = (): void => {
    if (pending.length === 0) return;
    segments.push({ kind: "bytes", offset: pendingStart, bytes: concatBytes(pending) });
    pending = [];
  };

  for (const entry of entries) {
    const directory = "type" in entry && entry.type === "directory";
    const name = directory && !entry.name.endsWith("/") ? `${entry.name}/` : entry.name;
    if (names.has(name)) throw new RangeError(`tar entry ${name} appears twice`);
    names.add(name);
    if ("key" in entry) {
      if (keys.has(entry.key)) throw new RangeError(`tar blob ${entry.key} is placed twice (again as ${name})`);
      keys.add(entry.key);
      pushBytes(tarHeader({ name, size: entry.size, mode: entry.mode, mtime: entry.mtime }));
      flush();
      segments.push({ kind: "blob", key: entry.key, offset, size: entry.size });
      offset += entry.size;
      pushBytes(new Uint8Array(tarPadding(entry.size)));
    } else {
      const bytes = entry.bytes ?? new Uint8Array(0);
      pushBytes(tarHeader({ name, size: bytes.length, mode: entry.mode, mtime: entry.mtime, type: entry.type }));
      pushBytes(bytes);
      pushBytes(new Uint8Array(tarPadding(bytes.length)));
    }
  }
  pushBytes(TAR_END);
  flush();
  return { segments, totalSize: offset };
}

/** The segments in file order; a sink that only needs one kind filters this. */
export function* iterateSegments(plan: TarPlan): Generator<TarSegment> {
  yield* plan.segments;
}

/** Where each blob goes, for a sink that writes blobs in parallel. */
export function blobSegments(plan: TarPlan): TarBlobSegment[] {
  return plan.segments.filter((s): s is TarBlobSegment => s.kind === "blob");
}

/** Throws unless the segments tile [0, totalSize) in order and end on a block boundary. */
export function assertContiguous(plan: TarPlan): void {
  let offset = 0;
  for (const s of plan.segments) {
    if (s.offset !== offset) throw new RangeError(`tar segment at ${s.offset} should start at ${offset}`);
    offset += s.kind === "bytes" ? s.bytes.length : s.size;
  }
  if (offset !== plan.totalSize) throw new RangeError(`tar segments end at ${offset}, not at ${plan.totalSize}`);
  if (plan.totalSize % BLOCK_SIZE !== 0) throw new RangeError(`tar size ${plan.totalSize} is not a whole number of blocks`);
}

/** The whole archive in memory: for tests and small archives only. */
export function writePlanToBuffer(plan: TarPlan, blobs: ReadonlyMap<string, Uint8Array>): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(plan.totalSize);
  for (const s of plan.segments) {
    if (s.kind === "bytes") {
      out.set(s.bytes, s.offset);
      continue;
    }
    const blob = blobs.get(s.key);
    if (!blob) throw new RangeError(`no bytes given for blob ${s.key}`);
    if (blob.length !== s.size) throw new RangeError(`blob ${s.key} has ${blob.length} bytes, planned ${s.size}`);
    out.set(blob, s.offset);
  }
  return out;
}

/** The parts as one array: always a fresh copy, so a plan never aliases TAR_END or a caller's bytes. */
export function concatBytes(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
