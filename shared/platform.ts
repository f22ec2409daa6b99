// Platforms (`linux/arm64`, `windows/amd64`): parsing what a user types, normalising
// the many spellings of one architecture, and choosing an image from a multi-platform
// index. Choosing is deliberately strict: an image for the wrong CPU downloads fine and
// only fails much later, on another machine, so we never fall back to another
// architecture or an older variant.

import { DockerdlError, PlatformNotAvailableError } from "./errors.ts";
import { causeError } from "./hints.ts";
import type { Descriptor, ImageIndex } from "./manifest.ts";

/** OCI field names, so a descriptor's platform object is a Platform as-is. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  "os.version"?: string;
  "os.features"?: string[];
  features?: string[];
}

const PLATFORM_EXAMPLE = "write it as os/architecture[/variant], e.g. linux/amd64, linux/arm64 or linux/arm/v7";
const TOKEN = /^[a-z0-9][a-z0-9._-]*$/;

// The operating systems and architectures Go (and so containerd's platforms package)
// knows. They tell `arm/v7` (an architecture and its variant) from `linux/arm` (an OS and
// an architecture), and `amd64/linux` (written backwards) from either.
const KNOWN_OS = new Set([
  "aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js", "linux", "macos", "nacl", "netbsd",
  "openbsd", "plan9", "solaris", "wasip1", "windows", "zos",
]);
const KNOWN_ARCHITECTURES = new Set([
  "386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips", "mipsle", "mips64", "mips64le", "mips64p32",
  "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm",
]);

function isArchitecture(word: string): boolean {
  return KNOWN_ARCHITECTURES.has(canonical({ os: "linux", architecture: word }, false).architecture);
}

function badPlatform(given: string, key: "invalid" | "unknown", message: string): DockerdlError {
  return new DockerdlError("BAD_PLATFORM", message, { hint: PLATFORM_EXAMPLE, key: `BAD_PLATFORM.${key}`, params: { platform: given } });
}

/**
 * What a person typed for a platform, read the way `docker pull --platform` reads it,
 * for every caller (the CLI's --platform and Compose `platform:`, the web form and its
 * address, /api/download): os/architecture[/variant]; an architecture alone, or with its
 * variant, is Linux's (`arm64`, `arm/v7`, `amd64`); spellings normalised as containerd
 * does (normalizePlatform). `amd64/linux` is refused with the order it meant.
 */
export function parsePlatform(s: string): Platform {
  const given = s.trim();
  const parts = given.toLowerCase().split("/");
  const invalid = () => badPlatform(given, "invalid", `${JSON.stringify(given)} is not a valid platform`);
  if (parts.length > 3 || !parts.every((p) => TOKEN.test(p))) throw invalid();
  const [first, ...rest] = parts as [string, ...string[]];
  let os: string;
  let architecture: string | undefined;
  let variant: string | undefined;
  if (!KNOWN_OS.has(first) && isArchitecture(first)) {
    const osAt = rest.findIndex((p) => KNOWN_OS.has(p));
    if (osAt >= 0) {
      const meant = [rest[osAt], first, ...rest.filter((_, i) => i !== osAt)].join("/");
      throw causeError("BAD_PLATFORM.reversed", { platform: given, suggestion: meant });
    }
    if (rest.length > 1) throw invalid();
    [os, architecture, variant] = ["linux", first, rest[0]];
  } else {
    // "linux" alone names no CPU: guessing one is what a platform is given to avoid.
    [os, architecture, variant] = [first, rest[0], rest[1]];
  }
  if (architecture === undefined) throw invalid();
  if (os === "unknown" || architecture === "unknown") {
    throw badPlatform(given, "unknown", `${JSON.stringify(given)} is not a runnable platform: unknown/unknown marks attestations`);
  }
  return normalizePlatform(variant === undefined ? { os, architecture } : { os, architecture, variant });
}

/**
 * One spelling per platform, as containerd normalises: aarch64 → arm64, x86_64 → amd64,
 * armhf → arm/v7, arm → arm/v7, and arm64/v8 → arm64 (v8 is what arm64 means).
 */
export function normalizePlatform(p: Platform): Platform {
  return canonical(p, true);
}

function canonical(p: Platform, defaultArmVariant: boolean): Platform {
  const os = p.os.toLowerCase() === "macos" ? "darwin" : p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant ? p.variant.toLowerCase() : undefined;
  if (variant !== undefined && /^\d/.test(variant)) variant = `v${variant}`;
  switch (architecture) {
    case "i386":
    case "i686":
    case "x86":
      architecture = "386";
      break;
    case "x86_64":
    case "x86-64":
    case "amd64":
      architecture = "amd64";
      if (variant === "v1") variant = undefined;
      break;
    case "aarch64":
    case "arm64":
      architecture = "arm64";
      if (variant === "v8" || variant === "v8.0") variant = undefined;
      break;
    case "armhf":
      architecture = "arm";
      variant = "v7";
      break;
    case "armel":
      architecture = "arm";
      variant = "v6";
      break;
    case "arm":
      if (variant === undefined && defaultArmVariant) variant = "v7";
      break;
  }
  const out: Platform = { ...p, os, architecture };
  if (variant === undefined) delete out.variant;
  else out.variant = variant;
  return out;
}

// What a registry may put in os, architecture and variant (OCI's values are all short
// words): anything else, a CR/LF above all, would end up in file names, HTTP headers
// and messages. os.version is a dotted build number ("10.0.17763.1234").
const PLATFORM_WORD = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;
const OS_VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

/** The first platform field of `p` that is not a plausible value, named for a message, or undefined. */
export function badPlatformField(p: { os?: unknown; architecture?: unknown; variant?: unknown; "os.version"?: unknown }): string | undefined {
  for (const field of ["os", "architecture"] as const) {
    if (typeof p[field] !== "string" || !PLATFORM_WORD.test(p[field])) return field;
  }
  // An empty variant is common and means none.
  if (p.variant !== undefined && p.variant !== "" && (typeof p.variant !== "string" || !PLATFORM_WORD.test(p.variant))) return "variant";
  const version = p["os.version"];
  if (version !== undefined && version !== "" && (typeof version !== "string" || !OS_VERSION.test(version))) return "os.version";
  return undefined;
}

/** linux/arm64, linux/arm/v7, windows/amd64: the form --platform takes. */
export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

/** formatPlatform plus the Windows build, which tells Windows images apart. */
export function describePlatform(p: Platform): string {
  const version = p["os.version"];
  return version ? `${formatPlatform(p)} (os.version ${version})` : formatPlatform(p);
}

function key(p: Platform): string {
  const n = normalizePlatform(p);
  return `${n.os}/${n.architecture}/${n.variant ?? ""}/${n["os.version"] ?? ""}`;
}

/** Attestations (SBOM, provenance) sit in indexes beside the images; they are not runnable. */
export function isAttestationOrUnknown(descriptor: Descriptor): boolean {
  const platform = descriptor.platform;
  return (
    platform?.os === "unknown" ||
    platform?.architecture === "unknown" ||
    descriptor.annotations?.["vnd.docker.reference.type"] === "attestation-manifest"
  );
}

function runnable(index: ImageIndex): (Descriptor & { platform: Platform })[] {
  return index.manifests.filter(
    (d): d is Descriptor & { platform: Platform } => d.platform !== undefined && !isAttestationOrUnknown(d),
  );
}

/** The platforms an index offers, as it spells them, in its order, without duplicates. */
export function availablePlatforms(index: ImageIndex): Platform[] {
  const seen = new Set<string>();
  const out: Platform[] = [];
  for (const d of runnable(index)) {
    const k = key(d.platform);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(d.platform);
  }
  return out;
}

/**
 * The index entry for `wanted`. Equal after normalisation wins; a platform asked for
 * without a variant takes the highest variant of that os/architecture; among several
 * Windows builds the newest wins. Anything else is refused, listing what exists.
 */
export function selectManifest(index: ImageIndex, wanted: Platform, imageName: string): Descriptor {
  const want = normalizePlatform(wanted);
  const wantedVersion = want["os.version"];
  const candidates = runnable(index).filter((d) => {
    const have = normalizePlatform(d.platform);
    if (have.os !== want.os || have.architecture !== want.architecture) return false;
    if (wantedVersion === undefined) return true;
    const version = have["os.version"] ?? "";
    return version === wantedVersion || version.startsWith(`${wantedVersion}.`);
  });

  const exact = candidates.filter((d) => normalizePlatform(d.platform).variant === want.variant);
  if (exact.length > 0) return newest(exact);

  // "No variant" means any: arm → the best of v7, v6, v5 that the image has.
  const askedVariant = canonical(wanted, false).variant !== undefined;
  if (!askedVariant && candidates.length > 0) {
    const best = Math.max(...candidates.map((d) => variantRank(normalizePlatform(d.platform).variant)));
    return newest(candidates.filter((d) => variantRank(normalizePlatform(d.platform).variant) === best));
  }

  const available = availablePlatforms(index);
  const offers = available.length > 0
    ? `it offers ${available.map(describePlatform).join(", ")}`
    : "it lists no runnable platform";
  throw new PlatformNotAvailableError(`${describePlatform(want)} is not available for ${imageName}; ${offers}`, want, available, {
    platform: describePlatform(want),
    image: imageName,
    offers: available.map(describePlatform).join(", "),
  });
}

function variantRank(variant: string | undefined): number {
  const m = variant === undefined ? null : /^v(\d+)(?:\.(\d+))?$/.exec(variant);
  return m ? Number(m[1]) * 1000 + Number(m[2] ?? 0) : 0;
}

/** Highest os.version first; index order breaks ties, so non-Windows picks the first entry. */
function newest(descriptors: (Descriptor & { platform: Platform })[]): Descriptor {
  let best = descriptors[0];
  for (const d of descriptors.slice(1)) {
    if (compareVersions(d.platform["os.version"], best.platform["os.version"]) > 0) best = d;
  }
  return best;
}

function compareVersions(a: string | undefined, b: string | undefined): number {
  const pa = (a ?? "").split(".").map((x) => Number.parseInt(x, 10) || 0);
  const pb = (b ?? "").split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
