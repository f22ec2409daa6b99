// tar-header.ts: byte layout, checksum, PAX records, and that GNU tar and Python's
// tarfile read the headers back (long names, 8 GiB+ sizes) as written.
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, ftruncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BLOCK_SIZE, TAR_END, USTAR_MAX_SIZE, tarChecksum, tarHeader, tarPadding } from "../../shared/tar-header.ts";
import { concatBytes } from "../../shared/tar.ts";

const dir = mkdtempSync(join(tmpdir(), "tar-header-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ascii = (b: Uint8Array, from: number, to: number): string => new TextDecoder().decode(b.subarray(from, to));

interface Member { name: string; size: number; type: string; mode: number; mtime: number; uid: number; gid: number }

/** Python's tarfile view of an archive: it applies PAX records and the ustar prefix. */
function pythonList(file: string): Member[] {
  const script = `
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    print(json.dumps([{"name": m.name, "size": m.size, "type": m.type.decode(), "mode": m.mode,
                       "mtime": m.mtime, "uid": m.uid, "gid": m.gid} for m in t.getmembers()]))`;
  return JSON.parse(execFileSync("python3", ["-c", script, file], { encoding: "utf8" })) as Member[];
}

/** GNU tar's verbose listing: "mode owner size date time name" per member. */
function gnuList(file: string): { mode: string; size: number; name: string }[] {
  const out = execFileSync("tar", ["--utc", "-tvf", file], { encoding: "utf8" });
  return out.trim().split("\n").map((line) => {
    const m = /^(\S+)\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(.*)$/.exec(line);
    if (!m) throw new Error(`unexpected tar -tv line: ${line}`);
    return { mode: m[1], size: Number(m[2]), name: m[3] };
  });
}

function fileEntry(name: string, data: Uint8Array): Uint8Array[] {
  return [tarHeader({ name, size: data.length }), data, new Uint8Array(tarPadding(data.length))];
}

describe("tarPadding", () => {
  it.each([
    [0, 0],
    [1, 511],
    [511, 1],
    [512, 0],
    [513, 511],
    [9 * 2 ** 30 + 1, 511],
  ])("pads %d bytes of data with %d zeros", (size, padding) => {
    expect(tarPadding(size)).toBe(padding);
  });
});

describe("tarHeader", () => {
  it("writes a ustar block with the POSIX checksum, magic and octal fields", () => {
    const h = tarHeader({ name: "blobs/sha256/abc", size: 1234, mtime: 1_700_000_000 });
    expect(h.length).toBe(BLOCK_SIZE);
    expect(ascii(h, 0, 16)).toBe("blobs/sha256/abc");
    expect(ascii(h, 100, 108)).toBe("0000644\0");
    expect(ascii(h, 108, 124)).toBe("0000000\u00000000000\0");
    expect(ascii(h, 124, 136)).toBe(`${(1234).toString(8).padStart(11, "0")}\0`);
    expect(ascii(h, 136, 148)).toBe(`${(1_700_000_000).toString(8).padStart(11, "0")}\0`);
    expect(ascii(h, 156, 157)).toBe("0");
    expect(ascii(h, 257, 265)).toBe("ustar\u000000");
    // Six octal digits, NUL, space; the sum counts the checksum field as eight spaces.
    expect(h[154]).toBe(0);
    expect(h[155]).toBe(0x20);
    const stored = parseInt(ascii(h, 148, 154), 8);
    let sum = 0;
    for (let i = 0; i < BLOCK_SIZE; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    expect(stored).toBe(sum);
    expect(tarChecksum(h)).toBe(sum);
  });

  it("marks directories with typeflag 5, mode 0755 and a trailing slash", () => {
    const h = tarHeader({ name: "blobs", size: 0, type: "directory" });
    expect(ascii(h, 0, 7)).toBe("blobs/\0");
    expect(ascii(h, 100, 108)).toBe("0000755\0");
    expect(ascii(h, 156, 157)).toBe("5");
  });

  it("gives the same bytes for the same entry", () => {
    expect(tarHeader({ name: "a", size: 5 })).toEqual(tarHeader({ name: "a", size: 5 }));
  });

  it("splits a long name into ustar prefix and name at the last fitting slash", () => {
    const name = `${"d".repeat(80)}/${"e".repeat(60)}/${"f".repeat(90)}`;
    const h = tarHeader({ name, size: 1 });
    expect(h.length).toBe(BLOCK_SIZE);
    expect(ascii(h, 0, 90)).toBe("f".repeat(90));
    expect(ascii(h, 345, 345 + 141)).toBe(`${"d".repeat(80)}/${"e".repeat(60)}`);
  });

  it("uses a PAX path record when the name cannot be split", () => {
    const name = `${"a".repeat(120)}/${"b".repeat(110)}`;
    const h = tarHeader({ name, size: 3 });
    expect(h.length).toBe(3 * BLOCK_SIZE);
    expect(ascii(h, 156, 157)).toBe("x");
    // Go's naming, dir/PaxHeaders.0/base, cut to the 100-byte field.
    expect(ascii(h, 0, 100)).toBe("a".repeat(100));
    const record = ` path=${name}\n`;
    const length = record.length + String(record.length + 3).length;
    const paxSize = parseInt(ascii(h, 124, 135), 8);
    expect(ascii(h, BLOCK_SIZE, BLOCK_SIZE + paxSize)).toBe(`${length}${record}`);
    expect(`${length}${record}`.length).toBe(length);
    expect(ascii(h, 2 * BLOCK_SIZE + 156, 2 * BLOCK_SIZE + 157)).toBe("0");
  });

  it.each([
    // " path=<n bytes>\n" is n + 7 bytes: the length prefix grows to four digits at n = 990.
    ...[989, 990, 991, 992, 993].map((n) => ["p".repeat(n)]),
    ["é".repeat(200)],
  ])("counts the PAX record length including its own digits (case %#)", (value) => {
    const h = tarHeader({ name: value, size: 0 });
    const paxSize = parseInt(ascii(h, 124, 135), 8);
    const data = h.subarray(BLOCK_SIZE, BLOCK_SIZE + paxSize);
    const text = ascii(data, 0, data.length);
    const declared = Number(text.slice(0, text.indexOf(" ")));
    expect(declared).toBe(data.length);
    expect(text.endsWith(`path=${value}\n`)).toBe(true);
  });

  it("uses a PAX size record from 8 GiB on, and octal below", () => {
    const below = tarHeader({ name: "x", size: USTAR_MAX_SIZE - 1 });
    expect(below.length).toBe(BLOCK_SIZE);
    expect(ascii(below, 124, 136)).toBe("77777777777\0");
    const at = tarHeader({ name: "x", size: USTAR_MAX_SIZE });
    expect(at.length).toBe(3 * BLOCK_SIZE);
    expect(ascii(at, BLOCK_SIZE, BLOCK_SIZE + 20)).toBe("19 size=8589934592\n\0");
    expect(ascii(at, 2 * BLOCK_SIZE + 124, 2 * BLOCK_SIZE + 136)).toBe("00000000000\0");
  });

  it.each([
    [{ name: "", size: 0 }],
    [{ name: "x", size: -1 }],
    [{ name: "x", size: 1.5 }],
    [{ name: "x", size: 2 ** 53 }],
    [{ name: "d", size: 1, type: "directory" as const }],
    [{ name: "x", size: 0, mtime: 8 ** 11 }],
  ])("rejects %j", (entry) => {
    expect(() => tarHeader(entry)).toThrow(RangeError);
  });
});

describe("GNU tar and Python tarfile read the headers back", () => {
  it("lists a small archive with names, sizes, modes and directories", () => {
    const file = join(dir, "small.tar");
    const hello = new TextEncoder().encode("hello\n");
    const big = new Uint8Array(1000).fill(7);
    writeFileSync(file, concatBytes([
      tarHeader({ name: "dir", size: 0, type: "directory" }),
      ...fileEntry("dir/hello.txt", hello),
      ...fileEntry("dir/big.bin", big),
      TAR_END,
    ]));
    expect(pythonList(file)).toEqual([
      { name: "dir", size: 0, type: "5", mode: 0o755, mtime: 0, uid: 0, gid: 0 },
      { name: "dir/hello.txt", size: 6, type: "0", mode: 0o644, mtime: 0, uid: 0, gid: 0 },
      { name: "dir/big.bin", size: 1000, type: "0", mode: 0o644, mtime: 0, uid: 0, gid: 0 },
    ]);
    expect(gnuList(file)).toEqual([
      { mode: "drwxr-xr-x", size: 0, name: "dir/" },
      { mode: "-rw-r--r--", size: 6, name: "dir/hello.txt" },
      { mode: "-rw-r--r--", size: 1000, name: "dir/big.bin" },
    ]);
    const content = execFileSync("tar", ["-xOf", file, "dir/hello.txt"], { encoding: "utf8" });
    expect(content).toBe("hello\n");
  });

  it("round-trips names split into a prefix and names that need PAX", () => {
    const file = join(dir, "long.tar");
    const split = `${"d".repeat(80)}/${"e".repeat(90)}`;
    const pax = `${"a".repeat(120)}/${"b".repeat(110)}`;
    const unicode = "blobs/ünïcødé-名前.txt";
    writeFileSync(file, concatBytes([
      ...fileEntry(split, new Uint8Array([1])),
      ...fileEntry(pax, new Uint8Array([1, 2])),
      ...fileEntry(unicode, new Uint8Array([1, 2, 3])),
      TAR_END,
    ]));
    expect(pythonList(file).map((m) => [m.name, m.size])).toEqual([[split, 1], [pax, 2], [unicode, 3]]);
    expect(gnuList(file).map((m) => [m.name, m.size])).toEqual([[split, 1], [pax, 2], [unicode, 3]]);
  });

  it("reads a 9 GiB member's size from its PAX header (sparse file, no real data)", () => {
    const file = join(dir, "huge.tar");
    const size = 9 * 2 ** 30;
    const header = tarHeader({ name: "blobs/sha256/huge", size });
    const after = header.length + size + tarPadding(size);
    const next = tarHeader({ name: "after", size: 0 });
    const fd = openSync(file, "w");
    try {
      writeSync(fd, header, 0, header.length, 0);
      ftruncateSync(fd, after);
      writeSync(fd, next, 0, next.length, after);
      writeSync(fd, TAR_END, 0, TAR_END.length, after + next.length);
    } finally {
      closeSync(fd);
    }
    expect(pythonList(file).map((m) => [m.name, m.size])).toEqual([["blobs/sha256/huge", 9663676416], ["after", 0]]);
    expect(gnuList(file).map((m) => [m.name, m.size])).toEqual([["blobs/sha256/huge", 9663676416], ["after", 0]]);
  });
});
