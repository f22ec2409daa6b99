// Digests: the sha256 form is recognised exactly, hashing matches known vectors, and a
// mismatch names the blob and both digests.
import { describe, expect, it } from "vitest";
import {
  assertDigestMatches,
  digestProblem,
  isDigest,
  parseDigest,
  sha256Digest,
  toHex,
  verifyDigest,
} from "../../shared/digest.ts";
import { DockerdlError } from "../../shared/errors.ts";

const EMPTY = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const ABC = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const bytes = (s: string) => new TextEncoder().encode(s);

describe("isDigest and parseDigest", () => {
  it("accept sha256 with 64 lowercase hex characters", () => {
    expect(isDigest(EMPTY)).toBe(true);
    expect(parseDigest(ABC)).toEqual({ algorithm: "sha256", hex: ABC.slice(7) });
  });

  it.each([
    ["", "a digest is an algorithm and a hex value, like sha256:<64 hex characters>"],
    ["e3b0c442", "a digest is an algorithm and a hex value, like sha256:<64 hex characters>"],
    [`sha512:${"a".repeat(128)}`, 'the "sha512" algorithm is not supported; only sha256 digests are'],
    [EMPTY.toUpperCase().replace("SHA256", "sha256"), "the hex part must be lowercase"],
    ["sha256:xyz", "the part after sha256: must be hex characters (0-9, a-f)"],
    ["sha256:abc", "the part after sha256: must be 64 hex characters, not 3"],
    [`${EMPTY}0`, "the part after sha256: must be 64 hex characters, not 65"],
  ])("refuse %j, saying why", (input, problem) => {
    expect(isDigest(input)).toBe(false);
    expect(digestProblem(input)).toBe(problem);
    expect(() => parseDigest(input)).toThrow(`digest ${JSON.stringify(input)} is not valid: ${problem}`);
  });
});

describe("hashing", () => {
  it("matches the SHA-256 test vectors", async () => {
    expect(await sha256Digest(new Uint8Array(0))).toBe(EMPTY);
    expect(await sha256Digest(bytes("abc"))).toBe(ABC);
  });

  it("hashes only the view, not the whole buffer", async () => {
    const buffer = bytes("xxabcxx");
    expect(await sha256Digest(buffer.subarray(2, 5))).toBe(ABC);
  });

  it("hashes views of a SharedArrayBuffer", async () => {
    const shared = new Uint8Array(new SharedArrayBuffer(3));
    shared.set(bytes("abc"));
    expect(await sha256Digest(shared)).toBe(ABC);
  });

  it("writes hex with leading zeros", () => {
    expect(toHex(new Uint8Array([0, 1, 15, 16, 255]))).toBe("00010f10ff");
  });
});

describe("verifyDigest", () => {
  it("passes matching data", async () => {
    await expect(verifyDigest(bytes("abc"), ABC, "layer 1")).resolves.toBeUndefined();
  });

  it("names the blob and both digests on a mismatch", async () => {
    const verifying = verifyDigest(bytes("abd"), ABC, `layer ${ABC}`);
    await expect(verifying).rejects.toThrow(DockerdlError);
    await expect(verifying).rejects.toMatchObject({
      code: "DIGEST_MISMATCH",
      message: expect.stringMatching(new RegExp(`^layer ${ABC} is corrupt: expected ${ABC}, but the data received hashes to sha256:[0-9a-f]{64}$`)),
      hint: expect.stringContaining("try again"),
    });
    expect(() => assertDigestMatches(EMPTY, ABC, "the config")).toThrow(
      `the config is corrupt: expected ${ABC}, but the data received hashes to ${EMPTY}`,
    );
  });
});
