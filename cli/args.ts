// Command-line parsing for `dockerdl`: turns argv into a typed command or a usage
// error that says which argument is wrong. No dependency: node:util's parseArgs.

import { parseArgs } from "node:util";
import { DockerdlError } from "../shared/errors.ts";

export const HELP = `dockerdl — download a container image as a file that docker load and podman load accept

Usage:
  dockerdl pull <image> [options]

  <image>   a reference such as ubuntu:22.04, nginx@sha256:…, ghcr.io/owner/app:1.0,
            localhost:5000/team/tool:v1

Options:
  --platform os/arch[/variant]  which platform of a multi-platform image (default linux/amd64)
  -o, --output FILE             where to write the tar (default: from the image name and
                                platform, e.g. ubuntu_22.04_linux_amd64.tar)
  --proxy URL                   go through a dockerdl mirror (the Worker) instead of the registry
                                (default: the DOCKERDL_PROXY environment variable)
  --username USER               sign in to the registry as USER …
  --password-stdin              … with the password (or token) read from standard input
  --insecure                    use plain http for the registry (localhost is always http)
  --ca-file FILE                also trust the CA certificates in FILE (PEM), e.g. a private CA
  --tls-verify=false            do not verify the registry's TLS certificate (self-signed);
                                still https, unlike --insecure. Either option (or an explicit
                                --tls-verify=true) means https even for a localhost registry
  --connections N               parallel connections (default 8)
  --chunk-size SIZE             split layers larger than SIZE into parallel ranges (default 16M)
  -q, --quiet                   no progress line, only errors
  -v, --verbose                 say which proxy and which credentials are used for each host
  -h, --help                    show this help
  -V, --version                 print the version

Network: HTTPS_PROXY, HTTP_PROXY and NO_PROXY (or their lower-case forms) are honoured
for every request (registry, token service, CDN redirects, --proxy mirror).
Credentials: --username/--password-stdin, else the registry's entry in
$DOCKER_CONFIG/config.json (~/.docker/config.json, credential helpers included), else
$REGISTRY_AUTH_FILE or containers' auth.json (as podman login writes it).

The tar is written to FILE.part and renamed to FILE only once every layer is verified.
If the download stops (Ctrl-C, a lost connection), run the same command again: it
resumes from FILE.part. Load the result with: docker load -i FILE

Examples:
  dockerdl pull ubuntu:22.04
  dockerdl pull nginx:1.27 --platform linux/arm64 -o nginx.tar
  echo "$TOKEN" | dockerdl pull ghcr.io/owner/private:1.0 --username me --password-stdin
  dockerdl pull alpine --proxy https://dockerdl.example.workers.dev
`;

export interface PullCommand {
  command: "pull";
  reference: string;
  platform?: string;
  output?: string;
  proxy?: string;
  username?: string;
  passwordStdin: boolean;
  insecure: boolean;
  connections?: number;
  chunkSize?: number;
  quiet: boolean;
  verbose: boolean;
  caFile?: string;
  /** --tls-verify as given; absent: verify, and plain http stays the default for localhost. */
  tlsVerify?: boolean;
}

export type Command = PullCommand | { command: "help" } | { command: "version" };

export function usageError(message: string): DockerdlError {
  return new DockerdlError("USAGE", message, { hint: "run dockerdl --help for the options" });
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
        proxy: { type: "string" },
        username: { type: "string", short: "u" },
        "password-stdin": { type: "boolean", default: false },
        insecure: { type: "boolean", default: false },
        connections: { type: "string" },
        "chunk-size": { type: "string" },
        quiet: { type: "boolean", short: "q", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "V", default: false },
        verbose: { type: "boolean", short: "v", default: false },
        "ca-file": { type: "string" },
        "tls-verify": { type: "string" },
      },
    });
  } catch (error) {
    throw usageError(error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, "") : String(error));
  }
  const { values, positionals } = parsed;
  if (values.version) return { command: "version" };
  if (values.help || positionals.length === 0 || positionals[0] === "help") return { command: "help" };
  const [command, ...rest] = positionals;
  if (command !== "pull") throw usageError(`unknown command ${JSON.stringify(command)}; the command is "pull", e.g. dockerdl pull ubuntu:22.04`);
  if (rest.length === 0) throw usageError("pull needs an image reference, e.g. dockerdl pull ubuntu:22.04");
  if (rest.length > 1) throw usageError(`pull takes one image reference, got ${rest.length}: ${rest.join(" ")}`);
  if (values.username !== undefined && !values["password-stdin"]) {
    throw usageError("--username needs --password-stdin: pipe the password in, e.g. echo \"$PASSWORD\" | dockerdl pull … --username U --password-stdin");
  }
  if (values["password-stdin"] && values.username === undefined) throw usageError("--password-stdin needs --username");
  const proxySource = values.proxy !== undefined ? "--proxy" : "DOCKERDL_PROXY";
  const proxy = values.proxy ?? (env.DOCKERDL_PROXY || undefined);
  if (proxy !== undefined && !/^https?:\/\/[^/]+/.test(proxy)) {
    throw usageError(`${proxySource} ${JSON.stringify(proxy)} is not an http(s) URL; give the mirror's address, e.g. https://dockerdl.example.workers.dev`);
  }
  const tlsVerify = values["tls-verify"];
  if (tlsVerify !== undefined && tlsVerify !== "true" && tlsVerify !== "false") throw usageError(`--tls-verify=${tlsVerify}: write --tls-verify=false (or true)`);
  if (values["ca-file"] === "") throw usageError("--ca-file needs a file name");
  if (values.insecure && (tlsVerify !== undefined || values["ca-file"] !== undefined)) {
    throw usageError("--insecure (plain http) contradicts --tls-verify and --ca-file (https); give one or the other");
  }
  const out: PullCommand = {
    command: "pull",
    reference: rest[0],
    passwordStdin: values["password-stdin"] ?? false,
    insecure: values.insecure ?? false,
    quiet: values.quiet ?? false,
    verbose: values.verbose ?? false,
  };
  if (tlsVerify !== undefined) out.tlsVerify = tlsVerify === "true";
  if (values["ca-file"] !== undefined) out.caFile = values["ca-file"];
  if (values.platform !== undefined) out.platform = values.platform;
  if (values.output !== undefined) {
    if (values.output === "" || values.output.endsWith("/")) throw usageError(`-o ${JSON.stringify(values.output)} is not a file name`);
    out.output = values.output;
  }
  if (proxy !== undefined) out.proxy = proxy;
  if (values.username !== undefined) out.username = values.username;
  if (values.connections !== undefined) {
    const n = Number(values.connections);
    if (!Number.isInteger(n) || n < 1 || n > 64) throw usageError(`--connections ${values.connections} must be a whole number from 1 to 64`);
    out.connections = n;
  }
  if (values["chunk-size"] !== undefined) out.chunkSize = parseSize(values["chunk-size"]);
  return out;
}

function parseSize(text: string): number {
  const m = /^(\d+)([kmg]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw usageError(`--chunk-size ${JSON.stringify(text)} is not a size; write e.g. 16M or 1G`);
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as "" | "k" | "m" | "g"];
  const size = Number(m[1]) * unit;
  if (size < 64 * 1024) throw usageError(`--chunk-size ${text} is too small; use at least 64K`);
  return size;
}
