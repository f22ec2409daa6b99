// `dockerdl --help` (the overview) and `dockerdl <command> --help` (that command's usage,
// its own options, examples). The options every command shares (how the registry is
// reached) are written once, here, and shown with each command that takes them.

const ACCESS_OPTIONS = `  --proxy URL                   go through a dockerdl mirror (the Worker) instead of the registry
                                (default: the DOCKERDL_PROXY environment variable)
  --username USER               sign in to the registry as USER …
  --password-stdin              … with the password (or token) read from standard input
  --insecure                    use plain http for the registry (localhost is always http)
  --ca-file FILE                also trust the CA certificates in FILE (PEM), e.g. a private CA
  --tls-verify=false            do not verify the registry's TLS certificate (self-signed);
                                still https, unlike --insecure. Either option (or an explicit
                                --tls-verify=true) means https even for a localhost registry
  -v, --verbose                 say which proxy and which credentials are used for each host`;

const PLATFORM_OPTION = `  --platform os/arch[/variant]  which platform of a multi-platform image; an architecture
                                alone (arm64, arm/v7) means Linux's. Default: this machine's
                                platform (linux/amd64 on x86-64), as docker does`;

const NETWORK = `Network: HTTPS_PROXY, HTTP_PROXY and NO_PROXY (or their lower-case forms) are honoured
for every request (registry, token service, CDN redirects, --proxy mirror).
Credentials: --username/--password-stdin, else the registry's entry in the first of
$REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json (~/.docker/config.json, credential
helpers included) and containers' auth.json (as podman login writes it) that has one.`;

const IMAGE = `  <image>   a reference such as ubuntu:22.04, nginx@sha256:…, ghcr.io/owner/app:1.0,
            localhost:5000/team/tool:v1`;

export const HELP = `dockerdl — download container images as a file that docker load and podman load accept

Usage:
  dockerdl pull <image> [options]              one image
  dockerdl pull <image> <image>… [options]     several images in one file (a bundle)
  dockerdl pull -f compose.yaml [options]      every image a Compose file's services name
  dockerdl pull -f images.txt [options]        every image listed, one per line (# comments)
  dockerdl tags <repository>                   the repository's tags, one per line
  dockerdl digest <image> [--platform P]       the manifest digest (with --platform: that platform's)
  dockerdl manifest <image> [--platform P]     the manifest JSON, exactly as the registry serves it
  dockerdl config <image> [--platform P]       the image's config JSON

${IMAGE}

Each command's options and examples: dockerdl <command> --help (e.g. dockerdl pull --help).

Options for every command:
${ACCESS_OPTIONS}
  -h, --help                    show this help
  -V, --version                 print the version

${NETWORK}

Examples:
  dockerdl pull ubuntu:22.04
  dockerdl pull nginx:1.27 --platform arm64 -o nginx.tar
  dockerdl pull -f compose.yaml -o /media/usb/
  dockerdl tags nginx
`;

const PULL = `dockerdl pull — download images into one tar that docker load and podman load accept

Usage:
  dockerdl pull <image> [options]              one image
  dockerdl pull <image> <image>… [options]     several images in one file (a bundle)
  dockerdl pull -f compose.yaml [options]      every image a Compose file's services name
  dockerdl pull -f images.txt [options]        every image listed, one per line (# comments)

${IMAGE}

Options:
${PLATFORM_OPTION}
  -o, --output FILE             where to write the tar (default: from the image name and
                                platform, e.g. ubuntu_22.04_linux_amd64.tar; bundle.tar,
                                or compose.tar for -f compose.yaml). An existing folder:
                                the default name inside it. -: standard output (no resume)
  -f, --file FILE               read images from a Compose file or a list (repeatable)
  --tag NAME:TAG                name the image NAME:TAG in the tar (one image only)
  --connections N               parallel connections, and the most sockets open at once, every
                                host together (default 8)
  --chunk-size SIZE             split layers larger than SIZE into parallel ranges (default 16M)
  --read-timeout SECONDS        a request that brings nothing for this long is dropped and
                                retried from its first missing byte (default 60)
  -q, --quiet                   no progress line, only errors
  --mirror URL                  also fetch layers from this mirror (repeatable): every source
                                (the registry, --proxy, each mirror) takes ranges as it is
                                fast; one that fails, lacks a layer or sends wrong bytes is
                                left out, and named. Default: see Sources below.
                                --connections is then per source
  --no-direct                   leave the registry itself out of the sources
  --trust URL                   resolve the tag on this mirror (default: the registry, else
                                the first mirror that answers)
  --json                        progress and source events as JSON lines on standard error
${ACCESS_OPTIONS}

The tar is written to FILE.part and renamed to FILE only once every layer is verified.
If the download stops (Ctrl-C, a lost connection), run the same command again: it
resumes from FILE.part. Two runs cannot write the same FILE at once. A bundle stores a
layer that several images share once. Load the result with: docker load -i FILE

${NETWORK}
Sources: without --mirror, the mirrors in DOCKERDL_MIRRORS (comma or space separated),
else those of "mirrors" in $XDG_CONFIG_HOME/dockerdl/config.json (by default
~/.config/dockerdl/config.json: {"mirrors": ["https://…"]}). With -v, each source's bytes
and speed are printed every few seconds and at the end.

Examples:
  dockerdl pull ubuntu:22.04
  dockerdl pull nginx:1.27 --platform arm64 -o nginx.tar
  dockerdl pull redis:7 postgres:16 nginx:1.27 -o stack.tar
  dockerdl pull -f compose.yaml -o /media/usb/
  dockerdl pull alpine -o - | ssh host docker load
  echo "$TOKEN" | dockerdl pull ghcr.io/owner/private:1.0 --username me --password-stdin
  dockerdl pull alpine --proxy https://dockerdl.example.workers.dev
  dockerdl pull postgres:16 --mirror https://a.example.com --mirror https://b.example.com
`;

const TAGS = `dockerdl tags — list a repository's tags, one per line, in the registry's order

Usage:
  dockerdl tags <repository> [options]

  <repository>  a name such as nginx, ghcr.io/owner/app or localhost:5000/team/tool
                (a tag or digest in it is ignored); every platform's tags are listed

Options:
${ACCESS_OPTIONS}

${NETWORK}

Examples:
  dockerdl tags nginx
  dockerdl tags ghcr.io/owner/app --proxy https://dockerdl.example.workers.dev
`;

function inspection(name: string, what: string, extra: string, examples: string): string {
  return `dockerdl ${name} — ${what}

Usage:
  dockerdl ${name} <image> [options]

${IMAGE}

Options:
${PLATFORM_OPTION}${extra}
${ACCESS_OPTIONS}

${NETWORK}

Examples:
${examples}`;
}

const COMMAND_HELP: Record<string, string> = {
  pull: PULL,
  tags: TAGS,
  digest: inspection("digest", "print the digest of the manifest an image reference names",
    "\n                                Without --platform: the digest of what the tag names itself\n                                (a multi-platform image's index)",
    "  dockerdl digest nginx:1.27\n  dockerdl digest nginx:1.27 --platform linux/arm64\n"),
  manifest: inspection("manifest", "print an image's manifest JSON, byte for byte as the registry serves it",
    "\n                                Without --platform: what the tag names itself (an index for a\n                                multi-platform image)",
    "  dockerdl manifest alpine:3.20\n  dockerdl manifest alpine:3.20 --platform arm64 | jq .layers\n"),
  config: inspection("config", "print an image's config JSON (environment, entrypoint, history…)", "",
    "  dockerdl config alpine:3.20\n  dockerdl config nginx:1.27 --platform linux/arm/v7 | jq .config.Env\n"),
};

/** The commands that have help of their own. */
export const COMMANDS = Object.keys(COMMAND_HELP);

/** `command`'s help, or the overview for none. */
export function helpText(command?: string): string {
  return command === undefined ? HELP : (COMMAND_HELP[command] ?? HELP);
}
