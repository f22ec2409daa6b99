// The verified-write floor, run as its own process by bench/measure.ts (verifiedFloor):
// every blob fetched by curl into a file while the same bytes are hashed with
// node:crypto's SHA-256 (OpenSSL, the CPU's SHA instructions), all blobs at once as a
// downloader would fetch them. Plain `curl -o /dev/null` neither writes nor hashes, so
// no verifying downloader can reach it; this can be reached, and dockerdl is measured
// against it.
//
// curl writes each file itself (HTTP parsed in its own process); this process follows
// the file as it grows, reading 1 MiB at a time from the page cache and hashing it, so
// hashing runs beside the transfer on another core. (Piping curl's body through this
// process instead cost it twice the CPU: a pipe hands over 64 KiB at a time, each piece
// a fresh buffer.) A digest that does not match fails the run: the floor is verified.
//
// Usage: node bench/floor.ts DIR URL=DIGEST…   (files go to DIR/floor-N, removed after)
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const READ = 1 << 20;
/** How long to wait at the file's end for curl to write more. */
const POLL_MS = 2;

async function fetchVerified(url: string, digest: string, file: string): Promise<void> {
  const handle = await open(file, "w+");
  try {
    const curl = spawn("curl", ["-sSf", "-o", file, url], { stdio: ["ignore", "ignore", "inherit"] });
    let code: number | null | undefined;
    const exited = new Promise<void>((resolve) => curl.on("close", (c) => {
      code = c;
      resolve();
    }));
    const hash = createHash("sha256");
    const buffer = Buffer.allocUnsafe(READ);
    let position = 0;
    for (;;) {
      // Read the exit before the file: a read that finds nothing after curl exited is the end.
      const ended = code !== undefined;
      const { bytesRead } = await handle.read(buffer, 0, READ, position);
      if (bytesRead > 0) {
        hash.update(buffer.subarray(0, bytesRead));
        position += bytesRead;
      } else if (ended) {
        break;
      } else {
        await Promise.race([exited, sleep(POLL_MS)]);
      }
    }
    if (code !== 0) throw new Error(`curl ${url} exited with ${code}`);
    const actual = `sha256:${hash.digest("hex")}`;
    if (actual !== digest) throw new Error(`${url} hashed to ${actual}, not ${digest}`);
  } finally {
    await handle.close();
  }
}

const [dir, ...blobs] = process.argv.slice(2);
const files = blobs.map((_, i) => join(dir, `floor-${i}`));
try {
  await Promise.all(blobs.map((blob, i) => {
    const at = blob.lastIndexOf("=");
    return fetchVerified(blob.slice(0, at), blob.slice(at + 1), files[i]);
  }));
} finally {
  await Promise.all(files.map((file) => rm(file, { force: true })));
}
