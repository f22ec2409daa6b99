// Platforms: spellings normalise to one form, and selection from real-shaped indexes
// picks the right image, skips attestations and never falls back to another CPU.
import { describe, expect, it } from "vitest";
import { DockerdlError, PlatformNotAvailableError } from "../../shared/errors.ts";
import type { Descriptor, ImageIndex } from "../../shared/manifest.ts";
import { DOCKER_MANIFEST_LIST, OCI_INDEX, OCI_MANIFEST } from "../../shared/media-types.ts";
import {
  availablePlatforms,
  describePlatform,
  formatPlatform,
  isAttestationOrUnknown,
  normalizePlatform,
  parsePlatform,
  selectManifest,
  type Platform,
} from "../../shared/platform.ts";
import { PLATFORM_CASES } from "./platform-cases.ts";

function digestOf(n: number): string {
  return `sha256:${n.toString(16).padStart(64, "0")}`;
}

let counter = 0;
function image(platform: Platform, annotations?: Record<string, string>): Descriptor {
  counter += 1;
  return { mediaType: OCI_MANIFEST, digest: digestOf(counter), size: 1000 + counter, platform, ...(annotations && { annotations }) };
}

function attestationFor(target: Descriptor): Descriptor {
  return image({ os: "unknown", architecture: "unknown" }, {
    "vnd.docker.reference.digest": target.digest,
    "vnd.docker.reference.type": "attestation-manifest",
  });
}

// Shaped like docker.io/library/nginx: images, then one attestation per image.
const amd64 = image({ os: "linux", architecture: "amd64" });
const armv5 = image({ os: "linux", architecture: "arm", variant: "v5" });
const armv7 = image({ os: "linux", architecture: "arm", variant: "v7" });
const arm64 = image({ os: "linux", architecture: "arm64", variant: "v8" });
const i386 = image({ os: "linux", architecture: "386" });
const nginx: ImageIndex = {
  schemaVersion: 2,
  mediaType: OCI_INDEX,
  manifests: [amd64, armv5, armv7, arm64, i386, ...[amd64, armv5, armv7, arm64, i386].map(attestationFor)],
};

describe("parsePlatform", () => {
  const rows: [string, Platform][] = [
    ["linux/amd64", { os: "linux", architecture: "amd64" }],
    ["Linux/AMD64", { os: "linux", architecture: "amd64" }],
    ["linux/x86_64", { os: "linux", architecture: "amd64" }],
    ["linux/x86-64", { os: "linux", architecture: "amd64" }],
    ["linux/amd64/v1", { os: "linux", architecture: "amd64" }],
    ["linux/amd64/v3", { os: "linux", architecture: "amd64", variant: "v3" }],
    ["linux/aarch64", { os: "linux", architecture: "arm64" }],
    ["linux/arm64", { os: "linux", architecture: "arm64" }],
    ["linux/arm64/v8", { os: "linux", architecture: "arm64" }],
    ["linux/arm64/8", { os: "linux", architecture: "arm64" }],
    ["linux/arm", { os: "linux", architecture: "arm", variant: "v7" }],
    ["linux/arm/v6", { os: "linux", architecture: "arm", variant: "v6" }],
    ["linux/arm/7", { os: "linux", architecture: "arm", variant: "v7" }],
    ["linux/armhf", { os: "linux", architecture: "arm", variant: "v7" }],
    ["linux/armel", { os: "linux", architecture: "arm", variant: "v6" }],
    ["linux/i386", { os: "linux", architecture: "386" }],
    ["linux/i686", { os: "linux", architecture: "386" }],
    ["linux/x86", { os: "linux", architecture: "386" }],
    ["windows/amd64", { os: "windows", architecture: "amd64" }],
    [" linux/ppc64le ", { os: "linux", architecture: "ppc64le" }],
    ["linux/riscv64", { os: "linux", architecture: "riscv64" }],
  ];
  it.each(rows)("reads %j", (input, expected) => {
    expect(parsePlatform(input)).toEqual(expected);
  });

  it.each(["", "linux", "linux/", "/amd64", "linux/amd64/v8/x", "linux amd64", "linux/am d64", "unknown/unknown"])(
    "refuses %j with an example of the right form",
    (input) => {
      const parse = () => parsePlatform(input);
      expect(parse).toThrow(DockerdlError);
      expect(parse).toThrow(expect.objectContaining({
        code: "BAD_PLATFORM",
        message: expect.stringContaining(JSON.stringify(input.trim())),
        hint: expect.stringContaining("linux/arm64"),
      }));
    },
  );
});

describe("parsePlatform: the table every caller reads alike", () => {
  it.each(PLATFORM_CASES.filter((c) => c.platform !== undefined))("$input is $platform", ({ input, platform }) => {
    expect(formatPlatform(parsePlatform(input))).toBe(platform);
  });

  it.each(PLATFORM_CASES.filter((c) => c.refused !== undefined))("$input is refused ($refused)", ({ input, refused, suggestion }) => {
    expect(() => parsePlatform(input)).toThrow(expect.objectContaining({
      code: "BAD_PLATFORM",
      key: `BAD_PLATFORM.${refused}`,
      params: { platform: input.trim(), ...(suggestion === undefined ? {} : { suggestion }) },
    }));
  });

  it("says which order a backwards platform meant", () => {
    expect(() => parsePlatform("amd64/linux")).toThrow(expect.objectContaining({
      message: '"amd64/linux" names the architecture before the operating system; did you mean linux/amd64?',
      hint: "write the operating system first: linux/amd64",
    }));
  });
});

describe("formatting and normalising", () => {
  it("formats os/architecture[/variant], with the Windows build on request", () => {
    expect(formatPlatform({ os: "linux", architecture: "arm64", variant: "v8" })).toBe("linux/arm64/v8");
    expect(formatPlatform({ os: "linux", architecture: "arm", variant: "v7" })).toBe("linux/arm/v7");
    const windows = { os: "windows", architecture: "amd64", "os.version": "10.0.20348.1" };
    expect(formatPlatform(windows)).toBe("windows/amd64");
    expect(describePlatform(windows)).toBe("windows/amd64 (os.version 10.0.20348.1)");
  });

  it("keeps the other OCI fields while normalising", () => {
    expect(normalizePlatform({ os: "windows", architecture: "x86_64", "os.version": "10.0.1", "os.features": ["win32k"] }))
      .toEqual({ os: "windows", architecture: "amd64", "os.version": "10.0.1", "os.features": ["win32k"] });
    expect(normalizePlatform({ os: "macos", architecture: "arm64", variant: "" })).toEqual({ os: "darwin", architecture: "arm64" });
  });
});

describe("attestations", () => {
  it("recognises unknown/unknown and the attestation annotation", () => {
    expect(isAttestationOrUnknown(attestationFor(amd64))).toBe(true);
    expect(isAttestationOrUnknown(image({ os: "unknown", architecture: "unknown" }))).toBe(true);
    expect(isAttestationOrUnknown(image({ os: "linux", architecture: "amd64" }, { "vnd.docker.reference.type": "attestation-manifest" })))
      .toBe(true);
    expect(isAttestationOrUnknown(amd64)).toBe(false);
  });

  it("are never offered", () => {
    expect(availablePlatforms(nginx).map(formatPlatform)).toEqual(["linux/amd64", "linux/arm/v5", "linux/arm/v7", "linux/arm64/v8", "linux/386"]);
  });
});

describe("availablePlatforms", () => {
  it("lists each platform once, in index order, as the index spells it", () => {
    const index: ImageIndex = {
      schemaVersion: 2,
      manifests: [
        image({ os: "linux", architecture: "arm64", variant: "v8" }),
        image({ os: "linux", architecture: "arm64" }),
        image({ os: "linux", architecture: "amd64" }),
        { mediaType: OCI_MANIFEST, digest: digestOf(999), size: 1 },
      ],
    };
    expect(availablePlatforms(index)).toEqual([{ os: "linux", architecture: "arm64", variant: "v8" }, { os: "linux", architecture: "amd64" }]);
  });
});

describe("selectManifest", () => {
  it("matches arm64 to Hub's arm64/v8 and the reverse", () => {
    expect(selectManifest(nginx, parsePlatform("linux/arm64"), "nginx:1.27")).toBe(arm64);
    expect(selectManifest(nginx, { os: "linux", architecture: "arm64", variant: "v8" }, "nginx:1.27")).toBe(arm64);
    const plain: ImageIndex = { schemaVersion: 2, manifests: [amd64, image({ os: "linux", architecture: "arm64" })] };
    expect(selectManifest(plain, { os: "linux", architecture: "arm64", variant: "v8" }, "x").platform).toEqual({ os: "linux", architecture: "arm64" });
  });

  it("picks the exact variant and accepts aliases", () => {
    expect(selectManifest(nginx, parsePlatform("linux/arm/v7"), "nginx")).toBe(armv7);
    expect(selectManifest(nginx, parsePlatform("linux/armhf"), "nginx")).toBe(armv7);
    expect(selectManifest(nginx, parsePlatform("linux/arm/v5"), "nginx")).toBe(armv5);
    expect(selectManifest(nginx, { os: "linux", architecture: "x86_64" }, "nginx")).toBe(amd64);
    expect(selectManifest(nginx, parsePlatform("linux/i686"), "nginx")).toBe(i386);
  });

  it("takes the best variant when none is asked for, and only then", () => {
    const older: ImageIndex = { schemaVersion: 2, manifests: [armv5, image({ os: "linux", architecture: "arm", variant: "v6" })] };
    expect(selectManifest(older, { os: "linux", architecture: "arm" }, "x").platform?.variant).toBe("v6");
    expect(selectManifest(nginx, { os: "linux", architecture: "arm" }, "x")).toBe(armv7);
    // parsePlatform reads "linux/arm" as arm/v7, which the older index lacks.
    expect(() => selectManifest(older, parsePlatform("linux/arm"), "x")).toThrow(PlatformNotAvailableError);
    expect(() => selectManifest(older, parsePlatform("linux/arm/v7"), "x")).toThrow(
      "linux/arm/v7 is not available for x; it offers linux/arm/v5, linux/arm/v6",
    );
  });

  it("refuses a missing platform, listing what the image offers", () => {
    const hub: ImageIndex = { schemaVersion: 2, mediaType: DOCKER_MANIFEST_LIST, manifests: [amd64, arm64, armv7, attestationFor(amd64)] };
    const select = () => selectManifest(hub, parsePlatform("linux/ppc64le"), "nginx:1.27");
    expect(select).toThrow(PlatformNotAvailableError);
    expect(select).toThrow(expect.objectContaining({
      code: "PLATFORM_NOT_AVAILABLE",
      message: "linux/ppc64le is not available for nginx:1.27; it offers linux/amd64, linux/arm64/v8, linux/arm/v7",
      hint: "pick one of the platforms it offers with --platform",
      available: [amd64.platform, arm64.platform, armv7.platform],
      wanted: { os: "linux", architecture: "ppc64le" },
    }));
  });

  it("never falls back to another architecture or OS", () => {
    const only386: ImageIndex = { schemaVersion: 2, manifests: [i386] };
    expect(() => selectManifest(only386, parsePlatform("linux/amd64"), "x")).toThrow("linux/amd64 is not available for x; it offers linux/386");
    expect(() => selectManifest(nginx, parsePlatform("windows/amd64"), "x")).toThrow(PlatformNotAvailableError);
    expect(() => selectManifest(nginx, parsePlatform("linux/arm/v6"), "x")).toThrow(PlatformNotAvailableError);
  });

  it("never picks an attestation, even when asked for unknown/unknown", () => {
    const onlyAttestations: ImageIndex = { schemaVersion: 2, manifests: [attestationFor(amd64)] };
    expect(() => selectManifest(onlyAttestations, { os: "unknown", architecture: "unknown" }, "x")).toThrow(
      "unknown/unknown is not available for x; it lists no runnable platform",
    );
  });

  it("picks the newest Windows build, or the one asked for", () => {
    const ltsc2019 = image({ os: "windows", architecture: "amd64", "os.version": "10.0.17763.6532" });
    const ltsc2022 = image({ os: "windows", architecture: "amd64", "os.version": "10.0.20348.2849" });
    const ltsc2022old = image({ os: "windows", architecture: "amd64", "os.version": "10.0.20348.900" });
    const index: ImageIndex = { schemaVersion: 2, manifests: [amd64, ltsc2019, ltsc2022old, ltsc2022] };
    expect(selectManifest(index, parsePlatform("windows/amd64"), "x")).toBe(ltsc2022);
    expect(selectManifest(index, { os: "windows", architecture: "amd64", "os.version": "10.0.17763" }, "x")).toBe(ltsc2019);
    expect(selectManifest(index, { os: "windows", architecture: "amd64", "os.version": "10.0.20348.900" }, "x")).toBe(ltsc2022old);
    expect(() => selectManifest(index, { os: "windows", architecture: "amd64", "os.version": "10.0.26100" }, "x")).toThrow(
      "windows/amd64 (os.version 10.0.26100) is not available for x; it offers linux/amd64, " +
        "windows/amd64 (os.version 10.0.17763.6532), windows/amd64 (os.version 10.0.20348.900), windows/amd64 (os.version 10.0.20348.2849)",
    );
  });

  it("takes the first of duplicate entries, in index order", () => {
    const first = image({ os: "linux", architecture: "amd64" });
    const second = image({ os: "linux", architecture: "amd64" });
    expect(selectManifest({ schemaVersion: 2, manifests: [first, second] }, parsePlatform("linux/amd64"), "x")).toBe(first);
  });
});
