// The images a Compose file names, for `dockerdl pull -f compose.yaml`: shared/compose.ts
// reads them; this gives it the variables `docker compose pull` would see, the
// environment over the `.env` beside the file.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { composeImages as composeImagesWith, type ComposeImages } from "../shared/compose.ts";

export { interpolate, type ComposeImage, type ComposeImages } from "../shared/compose.ts";

export function composeImages(text: string, file: string, env: Record<string, string | undefined> = process.env): ComposeImages {
  return composeImagesWith(text, file, { ...dotEnv(join(dirname(file), ".env")), ...definedOnly(env) });
}

/** KEY=VALUE lines of a .env file (quotes removed, # comments skipped); none if absent. */
function dotEnv(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return {};
  }
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
