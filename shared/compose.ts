// The images a Compose file names: every `services.<name>.image`, with the service's
// `platform:`, after Compose's variable interpolation (${VAR}, ${VAR:-default},
// ${VAR-default}, ${VAR:?error}, $VAR, $$), as `docker compose pull` reads them. YAML is
// parsed by the `yaml` package: Compose files use anchors, merge keys (<<: *defaults) and
// every quoting style, which a hand-written subset would get wrong. The variables are the
// caller's: the CLI passes its environment and the `.env` beside the file; the browser has
// neither, so there a default is used and a variable without one is refused by name.

import { parse } from "yaml";
import { DockerdlError, type ErrorParams } from "./errors.ts";

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

export interface ComposeOptions {
  /**
   * ${VAR} or $VAR with no value and no default: docker compose (and the CLI) put "" in
   * its place; where no environment exists (the browser) that would silently name
   * another image, so `strict` refuses it instead, naming the service and variable.
   */
  strict?: boolean;
}

type Bad = (message: string, hint?: string, key?: string, params?: ErrorParams) => Error;

const CHECK_HINT = "check the file with docker compose config";

export function composeImages(text: string, file: string, vars: Record<string, string>, options: ComposeOptions = {}): ComposeImages {
  const bad: Bad = (message, hint = CHECK_HINT, key, params = {}) =>
    new DockerdlError("BAD_IMAGE_LIST", `${file}: ${message}`, { hint, ...(key === undefined ? {} : { key: `BAD_IMAGE_LIST.${key}`, params: { file, ...params } }) });
  let doc: unknown;
  try {
    doc = parse(text, { merge: true, maxAliasCount: 1000, prettyErrors: false });
  } catch (error) {
    const detail = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
    throw bad(`is not valid YAML (${detail})`, CHECK_HINT, "yaml", { detail });
  }
  const services = (doc as { services?: unknown } | null)?.services;
  if (typeof services !== "object" || services === null || Array.isArray(services)) throw bad('has no "services:" section', CHECK_HINT, "no_services");
  const out: ComposeImages = { images: [], builtOnly: [] };
  for (const [service, value] of Object.entries(services as Record<string, unknown>)) {
    const spec = (value ?? {}) as { image?: unknown; platform?: unknown };
    if (typeof spec !== "object") throw bad(`service ${service} is not a mapping`, CHECK_HINT, "not_mapping", { service });
    if (spec.image === undefined || spec.image === null) {
      out.builtOnly.push(service);
      continue;
    }
    const unset = options.strict ? unsetIn(service, bad) : undefined;
    if (typeof spec.image !== "string") throw bad(`the image of service ${service} is not a string`, CHECK_HINT, "not_string", { service, field: "image" });
    const image: ComposeImage = { service, image: interpolate(spec.image, vars, bad, unset) };
    if (spec.platform !== undefined && spec.platform !== null) {
      if (typeof spec.platform !== "string") throw bad(`the platform of service ${service} is not a string`, CHECK_HINT, "not_string", { service, field: "platform" });
      image.platform = interpolate(spec.platform, vars, bad, unset);
    }
    out.images.push(image);
  }
  return out;
}

/** Strict mode's answer to a variable with no value and no default: a clear refusal. */
function unsetIn(service: string, bad: Bad): (name: string) => never {
  return (name) => {
    throw bad(`service ${service} uses the variable ${name}, which has no value here and no default`, `write a default into the file, e.g. \${${name}:-1.0}, or pull with the dockerdl CLI, which reads the environment and .env`, "no_default", { service, variable: name });
  };
}

const VARIABLE = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Compose's interpolation of `text`; `unset` answers a variable with no value and no default ("" when absent). */
export function interpolate(text: string, vars: Record<string, string>, bad: Bad, unset?: (name: string) => string): string {
  return text.replace(VARIABLE, (whole, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (whole === "$$") return "$";
    const name = braced ?? bare ?? "";
    const value = vars[name];
    const unsetOrEmpty = value === undefined || (op?.startsWith(":") === true && value === "");
    if (op === undefined) return value ?? (unset ? unset(name) : "");
    if (op.endsWith("-")) return unsetOrEmpty ? (arg ?? "") : (value as string);
    if (unsetOrEmpty) throw bad(`variable ${name} is not set${arg ? `: ${arg}` : ""}`, `set ${name} in the environment or in .env beside the file`, "unset", { variable: name });
    return value as string;
  });
}
