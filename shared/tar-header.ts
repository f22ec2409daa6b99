// POSIX tar headers, built byte for byte: a ustar header, preceded by a PAX extended
// header when a size or a name does not fit ustar's fields. Pure and synchronous, so the
// whole layout of an archive can be computed before any data exists (see tar.ts).

export const BLOCK_SIZE = 512;

/** Two zero blocks: the end-of-archive marker. Treat as read-only. */
export const TAR_END: Uint8Array<ArrayBuffer> = new Uint8Array(2 * BLOCK_SIZE);

/** The first size that does not fit ustar's 11 octal digits (8 GiB). */
export const USTAR_MAX_SIZE = 8 ** 11;

export type TarEntryType = "file" | "directory" | "symlink" | "hardlink";

export interface TarHeaderInput {
  /** Path inside the archive; a directory gets a trailing "/" if it lacks one. */
  name: string;
  /** Data size in bytes (0 for a directory). Any safe integer. */
  size: number;
  /** Permission bits; 0644 for files and 0755 for directories when absent. */
  mode?: number;
  type?: TarEntryType;
  /** Seconds since the epoch; 0 when absent so archives are reproducible. */
  mtime?: number;
  /** Target of a symlink or hardlink. */
  linkname?: string;
}

/** Bytes of zero padding that follow `size` bytes of data to reach a block boundary. */
export function tarPadding(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}

/**
 * The header bytes for one entry: [PAX header + PAX records padded to 512] when needed,
 * then the 512-byte ustar header. The entry's data follows, padded with tarPadding(size).
 */
export function tarHeader(entry: TarHeaderInput): Uint8Array<ArrayBuffer> {
  const type = entry.type ?? "file";
  let name = entry.name;
  if (name === "") throw new RangeError("tar entry name must not be empty");
  if (type === "directory" && !name.endsWith("/")) name += "/";
  const size = entry.size;
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`tar entry ${name}: size must be a non-negative safe integer, got ${size}`);
  }
  if (type !== "file" && size !== 0) throw new RangeError(`tar ${type} ${name} must have size 0`);
  const linkname = entry.linkname ?? "";
  if ((type === "symlink" || type === "hardlink") && linkname === "") throw new RangeError(`tar ${type} ${name} needs a linkname`);
  const mode = entry.mode ?? (type === "directory" ? 0o755 : 0o644);
  const mtime = entry.mtime ?? 0;
  if (!Number.isSafeInteger(mtime) || mtime < 0 || mtime >= 8 ** 11) {
    throw new RangeError(`tar entry ${name}: mtime ${mtime} does not fit a ustar header`);
  }

  const records: [string, string][] = [];
  const nameBytes = utf8.encode(name);
  const split = splitUstarPath(name, nameBytes);
  if (!split) records.push(["path", name]);
  if (size >= USTAR_MAX_SIZE) records.push(["size", String(size)]);
  const linkFits = isAscii(linkname) && utf8.encode(linkname).length <= 100;
  if (!linkFits) records.push(["linkpath", linkname]);

  const ustar = ustarBlock({
    name: split ? split.name : asciiField(name, 100),
    prefix: split ? split.prefix : new Uint8Array(0),
    mode,
    // Readers that honour PAX take the record; Go and Python also write 0 here.
    size: size >= USTAR_MAX_SIZE ? 0 : size,
    mtime,
    typeflag: TYPEFLAGS[type],
    linkname: linkFits ? utf8.encode(linkname) : asciiField(linkname, 100),
  });
  if (records.length === 0) return ustar;

  const paxData = paxRecords(records);
  const paxHeader = ustarBlock({
    name: asciiField(paxHeaderName(name), 100),
    prefix: new Uint8Array(0),
    mode: 0o644,
    size: paxData.length,
    mtime,
    typeflag: "x",
    linkname: new Uint8Array(0),
  });
  const out = new Uint8Array(BLOCK_SIZE + paxData.length + tarPadding(paxData.length) + BLOCK_SIZE);
  out.set(paxHeader, 0);
  out.set(paxData, BLOCK_SIZE);
  out.set(ustar, out.length - BLOCK_SIZE);
  return out;
}

/** The POSIX checksum of a 512-byte header block, counting its checksum field as spaces. */
export function tarChecksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i];
  return sum;
}

const utf8 = new TextEncoder();

const TYPEFLAGS = { file: "0", hardlink: "1", symlink: "2", directory: "5" } as const;

interface UstarFields {
  name: Uint8Array;
  prefix: Uint8Array;
  mode: number;
  size: number;
  mtime: number;
  typeflag: "0" | "1" | "2" | "5" | "x";
  linkname: Uint8Array;
}

function ustarBlock(f: UstarFields): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(BLOCK_SIZE);
  b.set(f.name, 0);
  writeOctal(b, 100, 8, f.mode);
  writeOctal(b, 108, 8, 0); // uid
  writeOctal(b, 116, 8, 0); // gid
  writeOctal(b, 124, 12, f.size);
  writeOctal(b, 136, 12, f.mtime);
  b[156] = f.typeflag.charCodeAt(0);
  b.set(f.linkname, 157);
  writeAscii(b, 257, "ustar\0");
  writeAscii(b, 263, "00");
  // uname and gname stay empty: ids are 0 and nothing here is owned by a real user.
  writeOctal(b, 329, 8, 0); // devmajor
  writeOctal(b, 337, 8, 0); // devminor
  b.set(f.prefix, 345);
  // POSIX: six octal digits, NUL, space; summed with the field itself as spaces.
  writeOctal(b, 148, 7, tarChecksum(b));
  b[155] = 0x20;
  return b;
}

function writeOctal(b: Uint8Array, offset: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, "0");
  if (digits.length > width - 1) throw new RangeError(`${value} does not fit ${width - 1} octal digits`);
  writeAscii(b, offset, digits);
  b[offset + width - 1] = 0;
}

function writeAscii(b: Uint8Array, offset: number, s: string): void {
  for (let i = 0; i < s.length; i++) b[offset + i] = s.charCodeAt(i);
}

function isAscii(s: string): boolean {
  return /^[\x01-\x7f]*$/.test(s);
}

/** A placeholder field for readers that ignore PAX: printable ASCII, cut to fit. */
function asciiField(s: string, width: number): Uint8Array {
  return utf8.encode(s.replace(/[^\x20-\x7e]/g, "").slice(0, width));
}

/**
 * Splits a long name into ustar's prefix (155) and name (100) at a "/", taking the
 * longest prefix as Go's archive/tar does. Non-ASCII names go to PAX, whose records are
 * defined as UTF-8, so every reader decodes them alike.
 */
function splitUstarPath(name: string, bytes: Uint8Array): { name: Uint8Array; prefix: Uint8Array } | null {
  if (!isAscii(name)) return null;
  if (bytes.length <= 100) return { name: bytes, prefix: new Uint8Array(0) };
  let end = Math.min(bytes.length, 156);
  if (end === bytes.length && bytes[end - 1] === 0x2f) end--;
  const i = bytes.subarray(0, end).lastIndexOf(0x2f);
  const suffixLength = bytes.length - i - 1;
  if (i <= 0 || i > 155 || suffixLength === 0 || suffixLength > 100) return null;
  return { name: bytes.subarray(i + 1), prefix: bytes.subarray(0, i) };
}

/** Go's naming for the extended header entry: dir/PaxHeaders.0/base. */
function paxHeaderName(name: string): string {
  const trimmed = name.replace(/\/+$/, "");
  const slash = trimmed.lastIndexOf("/");
  return slash < 0 ? `PaxHeaders.0/${trimmed}` : `${trimmed.slice(0, slash)}/PaxHeaders.0/${trimmed.slice(slash + 1)}`;
}

/** Records "%d %s=%s\n" where %d counts the whole record, its own digits included. */
function paxRecords(records: [string, string][]): Uint8Array {
  let text = "";
  for (const [key, value] of records) {
    const rest = utf8.encode(` ${key}=${value}\n`).length;
    let length = rest + String(rest).length;
    if (String(length).length !== String(rest).length) length = rest + String(length).length;
    text += `${length} ${key}=${value}\n`;
  }
  return utf8.encode(text);
}
