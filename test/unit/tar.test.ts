// tar.ts: the plan is complete before any blob byte exists, its segments tile the file,
// and the bytes written from it are a tar that Python's tarfile reads back intact.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BLOCK_SIZE, tarHeader, tarPadding } from "../../shared/tar-header.ts";
import {
  assertContiguous,
  blobSegments,
  iterateSegments,
  planTar,
  writePlanToBuffer,
  type TarInput,
  type TarPlan,
} from "../../shared/tar.ts";

const dir = mkdtempSync(join(tmpdir(), "tar-plan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");
const bytesOf = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

function pythonMembers(file: string): { name: string; size: number; sha256: string | null }[] {
  const script = `
import hashlib, json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    print(json.dumps([{"name": m.name, "size": m.size,
        "sha256": hashlib.sha256(t.extractfile(m).read()).hexdigest() if m.isfile() else None} for m in t.getmembers()]))`;
  return JSON.parse(execFileSync("python3", ["-c", script, file], { encoding: "utf8" })) as never;
}

const blobA = bytesOf(1000, 1);
const blobB = bytesOf(1024, 2);
const blobs = new Map([["sha256:a", blobA], ["sha256:b", blobB]]);
const inputs: TarInput[] = [
  { name: "blobs", type: "directory" },
  { name: "blobs/a", key: "sha256:a", size: blobA.length },
  { name: "blobs/b", key: "sha256:b", size: blobB.length },
  { name: "small.json", bytes: new TextEncoder().encode('{"x":1}') },
  { name: "empty", bytes: new Uint8Array(0) },
];

describe("planTar", () => {
  it("places every header, blob and padding before any blob byte is known", () => {
    const plan = planTar(inputs);
    assertContiguous(plan);
    expect(plan.segments.map((s) => s.kind)).toEqual(["bytes", "blob", "bytes", "blob", "bytes"]);
    const [a, b] = blobSegments(plan);
    // directory header, then a's header; b's header follows a's data and padding.
    expect(a).toEqual({ kind: "blob", key: "sha256:a", offset: 2 * BLOCK_SIZE, size: 1000 });
    expect(b).toEqual({ kind: "blob", key: "sha256:b", offset: 2 * BLOCK_SIZE + 1024 + BLOCK_SIZE, size: 1024 });
    // b, small.json (header + 1 block), empty (header), end marker (2 blocks).
    expect(plan.totalSize).toBe(b.offset + 1024 + 2 * BLOCK_SIZE + BLOCK_SIZE + 2 * BLOCK_SIZE);
  });

  it("merges adjacent bytes so no two bytes segments touch", () => {
    const kinds = [...iterateSegments(planTar(inputs))].map((s) => s.kind);
    for (let i = 1; i < kinds.length; i++) expect(kinds[i] === "bytes" && kinds[i - 1] === "bytes").toBe(false);
  });

  it("writes a tar that Python reads back with the same names, sizes and contents", () => {
    const file = join(dir, "plan.tar");
    const bytes = writePlanToBuffer(planTar(inputs), blobs);
    writeFileSync(file, bytes);
    const empty = sha256(new Uint8Array(0));
    expect(pythonMembers(file)).toEqual([
      { name: "blobs", size: 0, sha256: null },
      { name: "blobs/a", size: 1000, sha256: sha256(blobA) },
      { name: "blobs/b", size: 1024, sha256: sha256(blobB) },
      { name: "small.json", size: 7, sha256: sha256(new TextEncoder().encode('{"x":1}')) },
      { name: "empty", size: 0, sha256: empty },
    ]);
  });

  it("plans 8 GiB+ blobs with PAX headers and exact offsets, without their bytes", () => {
    const big = 9 * 2 ** 30;
    const bigger = 10 * 2 ** 30 + 3;
    const plan = planTar([
      { name: "big", key: "big", size: big },
      { name: "bigger", key: "bigger", size: bigger },
    ]);
    assertContiguous(plan);
    const header = tarHeader({ name: "big", size: big });
    expect(header.length).toBe(3 * BLOCK_SIZE);
    const [a, b] = blobSegments(plan);
    expect(a.offset).toBe(header.length);
    expect(b.offset).toBe(a.offset + big + 3 * BLOCK_SIZE);
    expect(plan.totalSize).toBe(b.offset + bigger + tarPadding(bigger) + 2 * BLOCK_SIZE);
  });

  it.each<[string, TarInput[]]>([
    ["a name twice", [{ name: "a", bytes: new Uint8Array(1) }, { name: "a", key: "k", size: 1 }]],
    ["a directory twice, with and without slash", [{ name: "d", type: "directory" }, { name: "d/", type: "directory" }]],
    ["a blob key twice", [{ name: "a", key: "k", size: 1 }, { name: "b", key: "k", size: 1 }]],
  ])("rejects %s", (_what, entries) => {
    expect(() => planTar(entries)).toThrow(RangeError);
  });

  it("writes the same bytes for the same inputs", () => {
    expect(writePlanToBuffer(planTar(inputs), blobs)).toEqual(writePlanToBuffer(planTar(inputs), blobs));
  });
});

describe("assertContiguous", () => {
  it.each<[string, TarPlan]>([
    ["a gap", { segments: [{ kind: "bytes", offset: 0, bytes: new Uint8Array(512) }, { kind: "blob", key: "k", offset: 600, size: 424 }], totalSize: 1024 }],
    ["a wrong total", { segments: [{ kind: "bytes", offset: 0, bytes: new Uint8Array(512) }], totalSize: 1024 }],
    ["a partial block", { segments: [{ kind: "bytes", offset: 0, bytes: new Uint8Array(500) }], totalSize: 500 }],
  ])("rejects %s", (_what, plan) => {
    expect(() => assertContiguous(plan)).toThrow(RangeError);
  });
});

describe("writePlanToBuffer", () => {
  it("rejects a missing blob or one of the wrong size", () => {
    const plan = planTar(inputs);
    expect(() => writePlanToBuffer(plan, new Map([["sha256:a", blobA]]))).toThrow(/sha256:b/);
    expect(() => writePlanToBuffer(plan, new Map([["sha256:a", blobA], ["sha256:b", blobA]]))).toThrow(/planned 1024/);
  });
});
