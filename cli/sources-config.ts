// Which sources a pull may take blobs from (issue #29): the registry itself (unless
// --no-direct), the --proxy mirror, and the mirrors from --mirror, else from
// DOCKERDL_MIRRORS (comma or space separated), else from the config file
// ($XDG_CONFIG_HOME/dockerdl/config.json, by default ~/.config/dockerdl/config.json:
// {"mirrors": ["https://…"]}). Each is checked, with an error naming where it came from.

import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { DockerdlError } from "../shared/errors.ts";
import type { PullCommand } from "./args.ts";

export interface SourceChoice {
  /** The registry itself is a source. */
  direct: boolean;
  /** Mirror URLs (the --proxy one first), without duplicates. */
  mirrors: string[];
  /** Where the mirrors came from, for messages. */
  from: string;
  /** The source to resolve tags on: a mirror URL, or undefined for the first that answers. */
  trust?: string;
}

const HTTP_URL = /^https?:\/\/[^/\s]+/;
const KNOWN_KEYS = ["mirrors"];

export function configPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME !== undefined && env.XDG_CONFIG_HOME !== "" ? env.XDG_CONFIG_HOME : join(homedir(), ".config");
  return join(base, "dockerdl", "config.json");
}

/** The sources for `cmd`: one source alone (no mirrors) is an ordinary pull. */
export async function chooseSources(cmd: PullCommand, env: NodeJS.ProcessEnv): Promise<SourceChoice> {
  let mirrors = cmd.mirrors;
  let from = "--mirror";
  if (mirrors.length === 0 && env.DOCKERDL_MIRRORS !== undefined && env.DOCKERDL_MIRRORS.trim() !== "") {
    from = "DOCKERDL_MIRRORS";
    mirrors = env.DOCKERDL_MIRRORS.split(/[\s,]+/).filter((m) => m !== "");
    const bad = mirrors.find((m) => !HTTP_URL.test(m));
    if (bad !== undefined) {
      throw new DockerdlError("USAGE", `DOCKERDL_MIRRORS names ${JSON.stringify(bad)}, which is not an http(s) URL`, {
        hint: "list mirror addresses separated by commas or spaces, e.g. DOCKERDL_MIRRORS=https://a.example.com,https://b.example.com",
      });
    }
  }
  if (mirrors.length === 0) {
    const path = configPath(env);
    const fromFile = await readConfigMirrors(path);
    if (fromFile.length > 0) {
      mirrors = fromFile;
      from = path;
    }
  }
  const all = [...new Set([...(cmd.proxy === undefined ? [] : [cmd.proxy]), ...mirrors].map((m) => m.replace(/\/+$/, "")))];
  // --proxy alone keeps its meaning (the mirror instead of the registry); with mirrors, it is one source more.
  const direct = cmd.proxy === undefined || mirrors.length > 0 ? !cmd.noDirect : false;
  if (cmd.noDirect && all.length === 0) {
    throw new DockerdlError("USAGE", "--no-direct leaves no source: give at least one --mirror (or --proxy, DOCKERDL_MIRRORS, or mirrors in the config file)", {
      hint: "e.g. dockerdl pull ubuntu:22.04 --no-direct --mirror https://mirror.example.com",
    });
  }
  const choice: SourceChoice = { direct, mirrors: all, from };
  if (cmd.trust !== undefined) {
    const trust = cmd.trust.replace(/\/+$/, "");
    if (!all.includes(trust)) {
      throw new DockerdlError("USAGE", `--trust ${cmd.trust} is not one of the sources (${all.join(", ") || "none besides the registry"})`, {
        hint: "give the address exactly as --mirror or --proxy gives it; without --trust the tag is resolved on the registry, else the first mirror that answers",
      });
    }
    choice.trust = trust;
  }
  return choice;
}

/** The config file's mirrors; none when there is no file. */
async function readConfigMirrors(path: string): Promise<string[]> {
  let text;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new DockerdlError("USAGE", `cannot read the config file ${path}: ${(error as Error).message}`, { hint: "fix its permissions, or remove it" });
  }
  const bad = (what: string) => new DockerdlError("USAGE", `the config file ${path} ${what}`, {
    hint: 'write it as {"mirrors": ["https://mirror.example.com"]}, or remove it',
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw bad(`is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw bad("is not a JSON object");
  const unknown = Object.keys(parsed).filter((k) => !KNOWN_KEYS.includes(k));
  if (unknown.length > 0) throw bad(`has ${unknown.map((k) => JSON.stringify(k)).join(", ")}, which dockerdl does not know (it knows ${KNOWN_KEYS.join(", ")})`);
  const mirrors = (parsed as { mirrors?: unknown }).mirrors;
  if (mirrors === undefined) return [];
  if (!Array.isArray(mirrors)) throw bad('has "mirrors" that is not a list');
  const wrong = mirrors.find((m) => typeof m !== "string" || !HTTP_URL.test(m));
  if (wrong !== undefined) throw bad(`has ${JSON.stringify(wrong)} in "mirrors", which is not an http(s) URL`);
  return mirrors as string[];
}
