// Content digests: the sha256:<hex> names that registries, manifests and the output tar
// address every blob by. Only sha256 is accepted: it is what every registry serves,
// and refusing the rest keeps blob paths (blobs/sha256/<hex>) and R2 keys uniform.

import { DockerdlError } from "./errors.ts";

export interface ParsedDigest {
  algorithm: "sha256";
  hex: string;
}

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

export function isDigest(s: string): boolean {
  return SHA256_DIGEST.test(s);
}

/**
 * Why `s` is not a usable digest, in words a user can act on, or undefined when it is.
 * Parsers of references and manifests wrap this in their own error codes.
 */
export function digestProblem(s: string): string | undefined {
  if (SHA256_DIGEST.test(s)) return undefined;
  const colon = s.indexOf(":");
  if (colon <= 0) return "a digest is an algorithm and a hex value, like sha256:<64 hex characters>";
  const algorithm = s.slice(0, colon);
  const hex = s.slice(colon + 1);
  if (algorithm !== "sha256") {
    return `the ${JSON.stringify(algorithm)} algorithm is not supported; only sha256 digests are`;
  }
  if (/^[0-9a-fA-F]+$/.test(hex) && hex !== hex.toLowerCase()) {
    return "the hex part must be lowercase";
  }
  if (!/^[0-9a-f]*$/.test(hex)) return "the part after sha256: must be hex characters (0-9, a-f)";
  return `the part after sha256: must be 64 hex characters, not ${hex.length}`;
}

export function parseDigest(s: string): ParsedDigest {
  const problem = digestProblem(s);
  if (problem !== undefined) {
    throw new DockerdlError("BAD_DIGEST", `digest ${JSON.stringify(s)} is not valid: ${problem}`);
  }
  return { algorithm: "sha256", hex: s.slice("sha256:".length) };
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += HEX[byte];
  return out;
}

/** One-shot: fine for manifests and configs; layers use an incremental hasher instead. */
export async function sha256Digest(bytes: Uint8Array): Promise<string> {
  // WebCrypto refuses views of a SharedArrayBuffer, so copy those.
  const data = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
  const hash = await crypto.subtle.digest("SHA-256", data);
  return `sha256:${toHex(new Uint8Array(hash))}`;
}

/** For callers that hashed incrementally and only need the comparison. */
export function assertDigestMatches(actual: string, expected: string, what: string): void {
  if (actual === expected) return;
  throw new DockerdlError("DIGEST_MISMATCH", `${what} is corrupt: expected ${expected}, but the data received hashes to ${actual}`, {
    hint: "the download was damaged or the registry sent the wrong data; try again, and if it repeats, clear the proxy's cache for this blob",
  });
}

export async function verifyDigest(bytes: Uint8Array, expected: string, what: string): Promise<void> {
  assertDigestMatches(await sha256Digest(bytes), expected, what);
}
