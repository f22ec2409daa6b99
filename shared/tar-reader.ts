// Streaming tar reader: yields each entry's header and lets the caller read or skip its
// data, with bounded memory whatever the archive's size. Understands ustar (with the
// name prefix), PAX extended headers (path, linkpath, size, global headers), GNU long
// names and link names ('L', 'K') and base-256 sizes, which is what image layers use.

import { streamChunks } from "./http.ts";
import { BLOCK_SIZE as BLOCK, tarChecksum } from "./tar-header.ts";

export type TarReadType = "file" | "directory" | "symlink" | "hardlink" | "other";

export interface TarReadEntry {
  name: string;
  type: TarReadType;
  size: number;
  mode: number;
  mtime: number;
  uid: number;
  gid: number;
  linkname: string;
}

export interface TarReadItem {
  entry: TarReadEntry;
  /** The entry's data, once; data not read is skipped when the next entry is asked for. */
  body(): AsyncGenerator<Uint8Array>;
}

const decoder = new TextDecoder();

/** Pulls exact byte counts out of a chunked source. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private done = false;
  private readonly source: AsyncIterator<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.source = source[Symbol.asyncIterator]();
  }

  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n && !this.done) {
      const next = await this.source.next();
      if (next.done) this.done = true;
      else if (next.value.length) {
        this.chunks.push(next.value);
        this.buffered += next.value.length;
      }
    }
    return this.buffered >= n;
  }

  /** Exactly n bytes, or null at a clean end of input. */
  async read(n: number): Promise<Uint8Array | null> {
    if (!(await this.fill(n))) {
      if (this.buffered === 0) return null;
      throw new TarFormatError(`the archive ends in the middle of an entry (${this.buffered} of ${n} bytes)`);
    }
    const first = this.chunks[0];
    if (first.length >= n) {
      // Common case: the bytes sit in one chunk, so hand out a view rather than a copy.
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.chunks[0];
      const take = Math.min(head.length, n - filled);
      out.set(head.subarray(0, take), filled);
      filled += take;
      if (take === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(take);
    }
    this.buffered -= n;
    return out;
  }

  /** Up to `max` bytes (at least 1), without copying where possible. */
  async readSome(max: number): Promise<Uint8Array> {
    if (!(await this.fill(1))) throw new TarFormatError("the archive ends in the middle of an entry's data");
    const head = this.chunks[0];
    if (head.length <= max) {
      this.chunks.shift();
      this.buffered -= head.length;
      return head;
    }
    this.chunks[0] = head.subarray(max);
    this.buffered -= max;
    return head.subarray(0, max);
  }
}

export class TarFormatError extends Error {}

function field(block: Uint8Array, offset: number, length: number): string {
  const slice = block.subarray(offset, offset + length);
  const end = slice.indexOf(0);
  return decoder.decode(end < 0 ? slice : slice.subarray(0, end));
}

function numeric(block: Uint8Array, offset: number, length: number): number {
  if (block[offset] & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit as marker.
    let value = block[offset] & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + block[offset + i];
    return value;
  }
  const text = field(block, offset, length).trim();
  return text === "" ? 0 : parseInt(text, 8);
}

function checksumOk(block: Uint8Array): boolean {
  return tarChecksum(block) === numeric(block, 148, 8);
}

function parsePax(data: Uint8Array): Record<string, string> {
  const records: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const length = parseInt(decoder.decode(data.subarray(pos, space)), 10);
    if (!Number.isFinite(length) || length <= 0) throw new TarFormatError("malformed PAX record");
    const record = decoder.decode(data.subarray(space + 1, pos + length - 1));
    const eq = record.indexOf("=");
    if (eq > 0) records[record.slice(0, eq)] = record.slice(eq + 1);
    pos += length;
  }
  return records;
}

const TYPES: Record<string, TarReadType> = { "0": "file", "\0": "file", "7": "file", "1": "hardlink", "2": "symlink", "5": "directory" };

export async function* readTar(source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): AsyncGenerator<TarReadItem> {
  const queue = new ByteQueue(source instanceof ReadableStream ? streamChunks(source) : source);
  let globalPax: Record<string, string> = {};
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;

  for (;;) {
    const block = await queue.read(BLOCK);
    if (!block) return;
    if (block.every((b) => b === 0)) return; // end marker (the second zero block may be absent)
    if (!checksumOk(block)) throw new TarFormatError("a tar header has a bad checksum: the layer is not a tar archive or is corrupt");
    const typeflag = String.fromCharCode(block[156]);
    const headerSize = numeric(block, 124, 12);
    const padded = headerSize + ((BLOCK - (headerSize % BLOCK)) % BLOCK);

    if (typeflag === "x" || typeflag === "g" || typeflag === "L" || typeflag === "K") {
      const data = (await queue.read(padded)) ?? new Uint8Array();
      const content = data.subarray(0, headerSize);
      if (typeflag === "x") pax = { ...pax, ...parsePax(content) };
      else if (typeflag === "g") globalPax = { ...globalPax, ...parsePax(content) };
      else {
        const text = decoder.decode(content).replace(/\0+$/, "");
        if (typeflag === "L") longName = text;
        else longLink = text;
      }
      continue;
    }

    const records = { ...globalPax, ...pax };
    const prefix = field(block, 345, 155);
    const ustarName = field(block, 0, 100);
    const isUstar = field(block, 257, 6).startsWith("ustar");
    const name = records.path ?? longName ?? (isUstar && prefix ? `${prefix}/${ustarName}` : ustarName);
    const size = records.size !== undefined ? Number(records.size) : headerSize;
    const entry: TarReadEntry = {
      name,
      type: TYPES[typeflag] ?? "other",
      size: typeflag === "1" || typeflag === "2" || typeflag === "5" ? 0 : size,
      mode: numeric(block, 100, 8) & 0o7777,
      mtime: records.mtime !== undefined ? Math.floor(Number(records.mtime)) : numeric(block, 136, 12),
      uid: records.uid !== undefined ? Number(records.uid) : numeric(block, 108, 8),
      gid: records.gid !== undefined ? Number(records.gid) : numeric(block, 116, 8),
      linkname: records.linkpath ?? longLink ?? field(block, 157, 100),
    };
    pax = {};
    longName = undefined;
    longLink = undefined;

    // Data follows for every type whose header says so (hardlinks and dirs normally 0).
    const dataSize = size;
    let remaining = dataSize;
    let consumed = false;
    const body = async function* (): AsyncGenerator<Uint8Array> {
      if (consumed) throw new Error(`the data of ${name} was already read`);
      consumed = true;
      while (remaining > 0) {
        const chunk = await queue.readSome(Math.min(remaining, 1 << 20));
        remaining -= chunk.length;
        yield chunk;
      }
    };
    yield { entry, body };
    while (remaining > 0) remaining -= (await queue.readSome(Math.min(remaining, 1 << 20))).length;
    const padding = (BLOCK - (dataSize % BLOCK)) % BLOCK;
    if (padding && !(await queue.read(padding))) return;
  }
}
