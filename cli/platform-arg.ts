// What `--platform` means on the command line, the way docker reads it: an
// architecture alone (`arm64`) is a Linux one, and no `--platform` at all means this
// machine's platform. Node names CPUs its own way (x64, ia32), so they are mapped to
// the OCI names registries use.

import { arch, endianness } from "node:os";
import { parsePlatform, type Platform } from "../shared/platform.ts";

const OS_NAMES = new Set(["linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris", "illumos", "aix", "plan9", "js", "wasip1"]);

/** `--platform` as typed: os/arch[/variant], or an architecture alone (arm64, arm/v7: Linux). */
export function parsePlatformArg(text: string): Platform {
  const trimmed = text.trim();
  // "linux" alone stays an error: it names no CPU, and guessing one is what --platform is there to avoid.
  const first = trimmed.split("/")[0].toLowerCase();
  // arm64 or arm/v7: the first part is no OS, so it is a CPU (with its variant) on Linux.
  if (trimmed !== "" && !OS_NAMES.has(first) && trimmed.split("/").length <= 2) return parsePlatform(`linux/${trimmed}`);
  return parsePlatform(trimmed);
}

/**
 * This machine's platform in OCI terms. The OS is always linux: docker on macOS and
 * Windows runs Linux containers in a VM of the same CPU, and that is where an image
 * downloaded here is meant to run.
 */
export function hostPlatform(nodeArch: string = arch(), armVersion: unknown = process.config.variables["arm_version" as keyof typeof process.config.variables]): Platform {
  switch (nodeArch) {
    case "x64":
      return { os: "linux", architecture: "amd64" };
    case "arm64":
      return { os: "linux", architecture: "arm64" };
    case "arm":
      return { os: "linux", architecture: "arm", variant: `v${typeof armVersion === "string" || typeof armVersion === "number" ? armVersion : 7}` };
    case "ia32":
      return { os: "linux", architecture: "386" };
    case "ppc64":
      return { os: "linux", architecture: endianness() === "LE" ? "ppc64le" : "ppc64" };
    case "s390x":
    case "riscv64":
    case "loong64":
    case "mips64el":
      return { os: "linux", architecture: nodeArch === "mips64el" ? "mips64le" : nodeArch };
    default:
      return { os: "linux", architecture: "amd64" };
  }
}
