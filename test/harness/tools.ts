// External tools some tests compare against (umoci, skopeo, podman, unzip). They are
// looked up on PATH, not at a fixed /usr/bin path, so a machine or CI image that
// installs them elsewhere (/usr/local/bin, a Nix or Homebrew prefix) still runs those tests.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export function hasTool(name: string): boolean {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}
