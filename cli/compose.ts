// The images a Compose file names, for `dockerdl pull -f compose.yaml`: shared/compose.ts
// reads them; this gives it the variables `docker compose pull` would see, the
// environment over the `.env` beside the file (read with a cap, like the file itself).

import { dirname, join } from "node:path";
import { DockerdlError } from "../shared/errors.ts";
import { composeImages as composeImagesWith, type ComposeImages } from "../shared/compose.ts";
import { readAtMost } from "./capped-read.ts";

export { interpolate, type ComposeImage, type ComposeImages } from "../shared/compose.ts";

/** `dotEnv`: the variables of the `.env` beside `file` (readDotEnv); the environment wins over them. */
export function composeImages(text: string, file: string, env: Record<string, string | undefined> = process.env, dotEnv: Record<string, string> = {}): ComposeImages {
  return composeImagesWith(text, file, { ...dotEnv, ...definedOnly(env) });
}

/**
 * KEY=VALUE lines of the .env beside `composeFile` (quotes removed, # comments skipped);
 * none if it is absent or unreadable; refused when it holds more than `limit` bytes.
 */
export async function readDotEnv(composeFile: string, limit: number): Promise<Record<string, string>> {
  const path = join(dirname(composeFile), ".env");
  let read;
  try {
    read = await readAtMost(path, limit);
  } catch {
    return {};
  }
  if (read.tooLarge) {
    throw new DockerdlError("USAGE", `${path} is over the ${limit >> 20} MiB limit; a .env file is expected to hold a few KEY=VALUE lines`, {
      hint: `check the .env file beside ${composeFile}`,
    });
  }
  return parseDotEnv(read.bytes.toString("utf8"));
}

function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2];
    const quoted = /^(["'])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2];
    else value = value.replace(/\s+#.*$/, "");
    out[m[1]] = value;
  }
  return out;
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
