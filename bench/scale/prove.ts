// Proves a downloaded image file the way its users would read it: GNU tar and Python's
// tarfile list it and read the big member's size from its PAX header, the big layer's
// bytes inside the tar hash to its digest, and `skopeo copy docker-archive:… oci:…`
// (which checks every diff_id) accepts it. Every command is bounded by a timeout.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ScaleLayer } from "./build-image.ts";

const run = promisify(execFile);

/**
 * A timeout for moving `bytes` at no less than 2 MB/s, plus two minutes: on 2 cores
 * shared with test suites, the Worker's cold path ran at under 6 MB/s.
 */
export function timeoutFor(bytes: number): number {
  return 120_000 + Math.ceil(bytes / 2e6) * 1000;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

/** The size GNU tar lists for `member` (`tar -tvf`: mode owner size date time name). */
async function gnuTarSize(file: string, member: string): Promise<number> {
  const { stdout } = await run("tar", ["--list", "--verbose", "--file", file], { maxBuffer: 1 << 24, timeout: timeoutFor(0) * 5 });
  const line = stdout.split("\n").find((l) => l.endsWith(` ${member}`));
  if (!line) throw new Error(`GNU tar does not list ${member} in ${file}`);
  return Number(line.trim().split(/\s+/)[2]);
}

const PYTHON_CHECK = `
import hashlib, json, sys, tarfile
path, member = sys.argv[1], sys.argv[2]
with tarfile.open(path, "r:") as tar:
    names = tar.getnames()
    info = tar.getmember(member)
    digest = hashlib.sha256()
    with tar.extractfile(info) as f:
        while True:
            piece = f.read(4 << 20)
            if not piece:
                break
            digest.update(piece)
    print(json.dumps({"members": len(names), "size": info.size, "pax_size": info.pax_headers.get("size"), "sha256": "sha256:" + digest.hexdigest()}))
`;

export interface Proof {
  gnuTarSize: number;
  paxSize: string | undefined;
  memberSha256: string;
  members: number;
}

/** Checks `file` holds `big` as blobs/sha256/<hex> with a PAX size, intact, and that skopeo loads it. */
export async function proveArchive(file: string, big: ScaleLayer, workDir: string): Promise<Proof> {
  const member = `blobs/sha256/${big.digest.slice("sha256:".length)}`;
  const gnu = await gnuTarSize(file, member);
  if (gnu !== big.size) throw new Error(`GNU tar lists ${member} with ${gnu} bytes, not ${big.size}`);
  const { stdout } = await run("python3", ["-c", PYTHON_CHECK, file, member], { timeout: timeoutFor(big.size) });
  const py = JSON.parse(stdout) as { members: number; size: number; pax_size?: string; sha256: string };
  if (py.size !== big.size) throw new Error(`Python's tarfile reads ${member} as ${py.size} bytes, not ${big.size}`);
  if (big.size >= 8 ** 11 && py.pax_size !== String(big.size)) throw new Error(`${member} has no PAX size record (tarfile saw ${py.pax_size})`);
  if (py.sha256 !== big.digest) throw new Error(`${member} inside the tar hashes to ${py.sha256}, not its digest ${big.digest}`);
  const oci = join(workDir, "skopeo-oci");
  try {
    await run("skopeo", ["copy", "--quiet", `docker-archive:${file}`, `oci:${oci}:scale`], { timeout: timeoutFor(big.size * 2), maxBuffer: 1 << 24 });
  } catch (error) {
    throw new Error(`skopeo refused ${file}: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  } finally {
    rmSync(oci, { recursive: true, force: true });
  }
  return { gnuTarSize: gnu, paxSize: py.pax_size, memberSha256: py.sha256, members: py.members };
}
