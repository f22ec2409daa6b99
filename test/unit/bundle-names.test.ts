// bundle-names.ts: the one rule CLI, web and API apply to a bundle's names — two images
// under one RepoTag refused with both entries named, the same image twice kept once.
import { describe, expect, it } from "vitest";
import { distinctEntries, sameTagConflicts, type BundleEntry } from "../../shared/bundle-names.ts";
import { DockerdlError } from "../../shared/errors.ts";
import { parsePlatform } from "../../shared/platform.ts";
import { parseReference } from "../../shared/reference.ts";

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const entry = (origin: string, reference: string, platform: string, d: string): BundleEntry => ({
  origin, reference: parseReference(reference), platform: parsePlatform(platform), digest: digest(d),
});

describe("a bundle's names", () => {
  const amd = entry("images.txt line 1", "multi:1.0", "linux/amd64", "a");
  const arm = entry("compose.yaml, service arm", "docker.io/library/multi:1.0", "linux/arm64", "b");

  it("refuses two platforms of one tag, naming both entries, their platforms and the tag, with what to do", () => {
    let error: unknown;
    try {
      distinctEntries([amd, entry("x", "other:1", "linux/amd64", "c"), arm]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DockerdlError);
    const refused = error as DockerdlError;
    expect(refused.code).toBe("BAD_IMAGE_LIST");
    expect(refused.key).toBe("BAD_IMAGE_LIST.same_tag");
    expect(refused.message).toBe("images.txt line 1 (linux/amd64) and compose.yaml, service arm (linux/arm64) are two images with one name, docker.io/library/multi:1.0: "
      + "docker load and podman load keep the name for one of them only");
    expect(refused.hint).toMatch(/one platform .* one bundle per platform/);
    expect(refused.params).toEqual({ tag: "docker.io/library/multi:1.0", first: "images.txt line 1", firstPlatform: "linux/amd64", second: "compose.yaml, service arm", secondPlatform: "linux/arm64" });
  });

  it("lists every later entry that takes an earlier one's name, with the earlier one", () => {
    const third = entry("line 9", "multi:1.0", "linux/arm/v7", "c");
    expect(sameTagConflicts([amd, arm, third])).toEqual([
      { first: 0, second: 1, tag: "docker.io/library/multi:1.0" },
      { first: 0, second: 2, tag: "docker.io/library/multi:1.0" },
    ]);
  });

  it("keeps the same image once however it is written, and images pinned by digest alone apart by digest", () => {
    const again = entry("line 2", "docker.io/library/multi:1.0", "linux/amd64", "a");
    const pinned = (origin: string, d: string) => entry(origin, `multi@${digest(d)}`, "linux/amd64", d);
    expect(distinctEntries([amd, again, pinned("p1", "d"), pinned("p2", "e"), pinned("p3", "d")])).toEqual([0, 2, 3]);
    expect(sameTagConflicts([pinned("p1", "d"), pinned("p2", "e")])).toEqual([]);
  });
});
