// The images a Compose file names: every `services.<name>.image`, with the service's
// `platform:`, after Compose's variable interpolation (${VAR}, ${VAR:-default},
// ${VAR-default}, ${VAR:?error}, $VAR, $$) from the environment and the `.env` beside
// the file, as `docker compose pull` reads them. YAML is parsed by the `yaml` package:
// Compose files use anchors, merge keys (<<: *defaults) and every quoting style, which a
// hand-written subset would get wrong.

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { DockerdlError } from "../shared/errors.ts";

export interface ComposeImage {
  service: string;
  image: string;
  platform?: string;
}

export interface ComposeImages {
  images: ComposeImage[];
  /** Services with no `image:` (only `build:`): nothing to download for them. */
  builtOnly: string[];
}

export function composeImages(text: string, file: string, env: Record<string, string | undefined> = process.env): ComposeImages {
  const bad = (message: string, hint = "check the file with docker compose config") => new DockerdlError("BAD_IMAGE_LIST", `${file}: ${message}`, { hint });
  let doc: unknown;
  try {
    doc = parse(text, { merge: true, maxAliasCount: 1000, prettyErrors: false });
  } catch (error) {
    throw bad(`is not valid YAML (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`);
  }
  const services = (doc as { services?: unknown } | null)?.services;
  if (typeof services !== "object" || services === null || Array.isArray(services)) throw bad('has no "services:" section');
  const vars = { ...dotEnv(join(dirname(file), ".env")), ...definedOnly(env) };
  const out: ComposeImages = { images: [], builtOnly: [] };
  for (const [service, value] of Object.entries(services as Record<string, unknown>)) {
    const spec = (value ?? {}) as { image?: unknown; platform?: unknown };
    if (typeof spec !== "object") throw bad(`service ${service} is not a mapping`);
    if (spec.image === undefined || spec.image === null) {
      out.builtOnly.push(service);
      continue;
    }
    if (typeof spec.image !== "string") throw bad(`the image of service ${service} is not a string`);
    const image: ComposeImage = { service, image: interpolate(spec.image, vars, bad) };
    if (spec.platform !== undefined && spec.platform !== null) {
      if (typeof spec.platform !== "string") throw bad(`the platform of service ${service} is not a string`);
      image.platform = interpolate(spec.platform, vars, bad);
    }
    out.images.push(image);
  }
  return out;
}

const VARIABLE = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

export function interpolate(text: string, vars: Record<string, string>, bad: (message: string, hint?: string) => Error): string {
  return text.replace(VARIABLE, (whole, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (whole === "$$") return "$";
    const name = braced ?? bare ?? "";
    const value = vars[name];
    const unsetOrEmpty = value === undefined || (op?.startsWith(":") === true && value === "");
    if (op === undefined) return value ?? "";
    if (op.endsWith("-")) return unsetOrEmpty ? (arg ?? "") : (value as string);
    if (unsetOrEmpty) throw bad(`variable ${name} is not set${arg ? `: ${arg}` : ""}`, `set ${name} in the environment or in .env beside the file`);
    return value as string;
  });
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
