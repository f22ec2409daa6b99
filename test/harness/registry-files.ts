// Looks behind the harness registries: their access logs (to count what the mirror asked
// of the upstream) and their storage (to corrupt a blob the way a bad disk or a lying
// upstream would).
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface AccessEntry {
  method: string;
  path: string;
  status: number;
  bytes: number;
}

/** The access log of harness registry `name` ("token" or "basic"). */
export function accessLogFile(workDir: string, name: "token" | "basic"): string {
  return join(workDir, `registry-${name}`, `registry-${name}.log`);
}

/** A cursor on a log: `since()` returns the requests logged after the cursor was made (or last read). */
export function accessLogCursor(file: string) {
  let offset = statSync(file).size;
  return {
    since(): AccessEntry[] {
      const text = readFileSync(file).subarray(offset).toString("utf8");
      offset += Buffer.byteLength(text);
      return parseAccessLog(text);
    },
  };
}

/** Apache combined format lines, as distribution writes them; other log lines are skipped. */
export function parseAccessLog(text: string): AccessEntry[] {
  const entries: AccessEntry[] = [];
  for (const line of text.split("\n")) {
    const match = /"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) (\d+|-)/.exec(line);
    if (match) entries.push({ method: match[1], path: match[2], status: Number(match[3]), bytes: match[4] === "-" ? 0 : Number(match[4]) });
  }
  return entries;
}

/** Body bytes the registry sent for blob GETs among `entries`. */
export function blobBytes(entries: AccessEntry[]): number {
  return entries.filter((e) => e.method === "GET" && /\/blobs\/sha256:/.test(e.path)).reduce((sum, e) => sum + e.bytes, 0);
}

/** Overwrites the last bytes of a stored blob, keeping its length: the registry serves it as is. */
export function corruptBlob(workDir: string, name: "token" | "basic", digest: string): void {
  const hex = digest.replace(/^sha256:/, "");
  const file = join(workDir, `registry-${name}`, "storage", "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex, "data");
  const bytes = readFileSync(file);
  for (let i = Math.max(0, bytes.length - 16); i < bytes.length; i++) bytes[i] ^= 0xff;
  writeFileSync(file, bytes);
}
