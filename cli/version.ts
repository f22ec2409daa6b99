// The CLI's version: baked into the compiled build (scripts/build-cli.ts defines
// __DOCKERDL_VERSION__), read from the repository's package.json when run from a clone.
import { readFileSync } from "node:fs";

declare const __DOCKERDL_VERSION__: string | undefined;

export function cliVersion(): string {
  if (typeof __DOCKERDL_VERSION__ === "string") return __DOCKERDL_VERSION__;
  return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
}
