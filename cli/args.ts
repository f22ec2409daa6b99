// Command-line parsing for `dockerdl`: turns argv into a typed command or a usage
// error that says which argument is wrong. No dependency: node:util's parseArgs.

import { parseArgs } from "node:util";
import { DockerdlError } from "../shared/errors.ts";
import { COMMANDS } from "./help.ts";

/** How to reach the registry: what pull and the inspection commands share. */
export interface RegistryAccess {
  proxy?: string;
  username?: string;
  passwordStdin: boolean;
  insecure: boolean;
  verbose: boolean;
  caFile?: string;
  /** --tls-verify as given; absent: verify, and plain http stays the default for localhost. */
  tlsVerify?: boolean;
}

export interface PullCommand extends RegistryAccess {
  command: "pull";
  /** References given on the command line (none when every image comes from -f). */
  references: string[];
  /** -f files: Compose files or lists of references. */
  files: string[];
  platform?: string;
  output?: string;
  tag?: string;
  connections?: number;
  chunkSize?: number;
  /** --read-timeout: a request that brings nothing for this long is retried (the engine's stallMs). */
  readTimeoutMs?: number;
  quiet: boolean;
  /** --mirror, in order (DOCKERDL_MIRRORS and the config file are read by sources-config.ts). */
  mirrors: string[];
  /** --no-direct: the registry itself is not one of the sources. */
  noDirect: boolean;
  /** --trust URL: the source the tag is resolved on. */
  trust?: string;
  /** --json: progress and source events as JSON lines on standard error. */
  json: boolean;
}

export const INSPECT_COMMANDS = ["tags", "digest", "manifest", "config"] as const;
export type InspectName = (typeof INSPECT_COMMANDS)[number];

export interface InspectCommand extends RegistryAccess {
  command: InspectName;
  reference: string;
  platform?: string;
}

/** `topic`: the command whose help was asked for (dockerdl pull --help, dockerdl help pull); none for the overview. */
export type Command = PullCommand | InspectCommand | { command: "help"; topic?: string } | { command: "version" };

const HTTP_URL = /^https?:\/\/[^/]+/;

export function usageError(message: string): DockerdlError {
  return new DockerdlError("USAGE", message, { hint: "run dockerdl --help for the commands, dockerdl <command> --help for a command's options" });
}

/** `env` supplies DOCKERDL_PROXY, the default for --proxy. */
export function parseCommand(argv: string[], env: Record<string, string | undefined> = {}): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        platform: { type: "string" },
        output: { type: "string", short: "o" },
        file: { type: "string", short: "f", multiple: true },
        tag: { type: "string" },
        proxy: { type: "string" },
        username: { type: "string", short: "u" },
        "password-stdin": { type: "boolean", default: false },
        insecure: { type: "boolean", default: false },
        connections: { type: "string" },
        "chunk-size": { type: "string" },
        "read-timeout": { type: "string" },
        quiet: { type: "boolean", short: "q", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "V", default: false },
        verbose: { type: "boolean", short: "v", default: false },
        "ca-file": { type: "string" },
        "tls-verify": { type: "string" },
        mirror: { type: "string", multiple: true },
        "no-direct": { type: "boolean", default: false },
        trust: { type: "string" },
        json: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    throw usageError(error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, "") : String(error));
  }
  const { values, positionals } = parsed;
  if (values.version) return { command: "version" };
  if (values.help || positionals.length === 0 || positionals[0] === "help") {
    const topic = positionals[0] === "help" ? positionals[1] : positionals[0];
    if (topic === undefined) return { command: "help" };
    if (!COMMANDS.includes(topic)) throw unknownCommand(topic);
    return { command: "help", topic };
  }
  const [command, ...rest] = positionals;
  if (values.username !== undefined && !values["password-stdin"]) {
    throw usageError("--username needs --password-stdin: pipe the password in, e.g. echo \"$PASSWORD\" | dockerdl pull … --username U --password-stdin");
  }
  if (values["password-stdin"] && values.username === undefined) throw usageError("--password-stdin needs --username");
  const proxySource = values.proxy !== undefined ? "--proxy" : "DOCKERDL_PROXY";
  const proxy = values.proxy ?? (env.DOCKERDL_PROXY || undefined);
  if (proxy !== undefined && !HTTP_URL.test(proxy)) {
    throw usageError(`${proxySource} ${JSON.stringify(proxy)} is not an http(s) URL; give the mirror's address, e.g. https://dockerdl.example.workers.dev`);
  }
  const tlsVerify = values["tls-verify"];
  if (tlsVerify !== undefined && tlsVerify !== "true" && tlsVerify !== "false") throw usageError(`--tls-verify=${tlsVerify}: write --tls-verify=false (or true)`);
  if (values["ca-file"] === "") throw usageError("--ca-file needs a file name");
  if (values.insecure && (tlsVerify !== undefined || values["ca-file"] !== undefined)) {
    throw usageError("--insecure (plain http) contradicts --tls-verify and --ca-file (https); give one or the other");
  }
  const access: RegistryAccess = { passwordStdin: values["password-stdin"] ?? false, insecure: values.insecure ?? false, verbose: values.verbose ?? false };
  if (proxy !== undefined) access.proxy = proxy;
  if (values.username !== undefined) access.username = values.username;
  if (tlsVerify !== undefined) access.tlsVerify = tlsVerify === "true";
  if (values["ca-file"] !== undefined) access.caFile = values["ca-file"];

  if ((INSPECT_COMMANDS as readonly string[]).includes(command)) {
    const name = command as InspectName;
    const what = name === "tags" ? "a repository, e.g. dockerdl tags nginx" : `an image reference, e.g. dockerdl ${name} ubuntu:22.04`;
    if (rest.length !== 1) throw usageError(`${name} takes ${what}${rest.length > 1 ? `; got ${rest.length}: ${rest.join(" ")}` : ""}`);
    const pullOnly = (["output", "file", "tag", "connections", "chunk-size", "read-timeout", "mirror", "trust"] as const).find((k) => values[k] !== undefined)
      ?? (["no-direct", "json"] as const).find((k) => values[k] === true);
    if (pullOnly !== undefined) throw usageError(`--${pullOnly} is an option of pull, not of ${name}`);
    if (name === "tags" && values.platform !== undefined) throw usageError("tags lists a repository's tags, for every platform; --platform does not apply");
    return { command: name, reference: rest[0], ...access, ...(values.platform === undefined ? {} : { platform: values.platform }) };
  }
  if (command !== "pull") throw unknownCommand(command);
  const files = values.file ?? [];
  if (rest.length === 0 && files.length === 0) throw usageError("pull needs an image reference, e.g. dockerdl pull ubuntu:22.04 (or -f compose.yaml)");
  const mirrors = values.mirror ?? [];
  for (const mirror of mirrors) if (!HTTP_URL.test(mirror)) throw usageError(`--mirror ${JSON.stringify(mirror)} is not an http(s) URL; give the mirror's address, e.g. https://mirror.example.com`);
  if (values.trust !== undefined && !HTTP_URL.test(values.trust)) throw usageError(`--trust ${JSON.stringify(values.trust)} is not an http(s) URL; give one of the --mirror or --proxy addresses`);
  const out: PullCommand = {
    command: "pull", references: rest, files, ...access, quiet: values.quiet ?? false,
    mirrors, noDirect: values["no-direct"] ?? false, json: values.json ?? false,
    ...(values.trust === undefined ? {} : { trust: values.trust }),
  };
  if (values.platform !== undefined) out.platform = values.platform;
  if (values.output !== undefined) {
    if (values.output === "") throw usageError("-o \"\" is not a file name");
    out.output = values.output;
  }
  if (values.tag !== undefined) {
    if (rest.length !== 1 || files.length > 0) throw usageError("--tag names one image; give it with one image reference, not several or -f");
    out.tag = values.tag;
  }
  if (values.connections !== undefined) {
    const n = Number(values.connections);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw usageError(`--connections ${values.connections} must be a whole number from 1 to 64`);
    out.connections = n;
  }
  if (values["chunk-size"] !== undefined) out.chunkSize = parseSize(values["chunk-size"]);
  if (values["read-timeout"] !== undefined) {
    const seconds = Number(values["read-timeout"].replace(/s$/, ""));
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
      throw usageError(`--read-timeout ${values["read-timeout"]} must be whole seconds from 1 to 3600, e.g. --read-timeout 120`);
    }
    out.readTimeoutMs = seconds * 1000;
  }
  return out;
}

function unknownCommand(command: string): DockerdlError {
  return usageError(`unknown command ${JSON.stringify(command)}; the commands are ${COMMANDS.join(", ")}, e.g. dockerdl pull ubuntu:22.04`);
}

function parseSize(text: string): number {
  const m = /^(\d+)([kmg]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw usageError(`--chunk-size ${JSON.stringify(text)} is not a size; write e.g. 16M or 1G`);
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as "" | "k" | "m" | "g"];
  const size = Number(m[1]) * unit;
  if (size < 64 * 1024) throw usageError(`--chunk-size ${text} is too small; use at least 64K`);
  return size;
}
