// What no `--platform` means on the command line: this machine's platform, as docker
// takes it. Node names CPUs its own way (x64, ia32), so they are mapped to the OCI names
// registries use. What --platform itself says is read by shared/platform.ts's
// parsePlatform, as the web app and the Worker read it.

import { arch, endianness } from "node:os";
import type { Platform } from "../shared/platform.ts";

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
