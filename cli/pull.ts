// `dockerdl pull`: resolve every image asked for (one, several, or those a -f file
// names), plan one tar holding them all (a layer shared by two images stored once),
// decide where it goes before fetching anything, and fill it (write-archive.ts).

import { DockerdlError } from "../shared/errors.ts";
import { formatBytes, registryBlobSource } from "../shared/engine/index.ts";
import { archiveImageOf, planImageArchive, type ArchiveImage } from "../shared/image-archive.ts";
import { formatPlatform } from "../shared/platform.ts";
import { defaultFileName, familiarName, formatReference, parseReference, repoTag } from "../shared/reference.ts";
import { RegistryClient, type Credentials, type ResolvedImage } from "../shared/registry/client.ts";
import type { PullCommand, RegistryAccess } from "./args.ts";
import { bundleFileName, gatherImages, type ImageRequest } from "./image-list.ts";
import { chooseOutput } from "./output-target.ts";
import { hostPlatform, parsePlatformArg } from "./platform-arg.ts";
import { ProgressLine } from "./progress-line.ts";
import { writeArchiveToFile, writeArchiveToStdout } from "./write-archive.ts";

const CLI_CONNECTIONS = 8;

export interface PullIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  readPassword(): Promise<string>;
  signal: AbortSignal;
}

/** The registry client for a command's --proxy, --username/--password-stdin and --insecure. */
export async function registryClientFor(cmd: RegistryAccess, io: Pick<PullIO, "readPassword">): Promise<RegistryClient> {
  let credentials: Credentials | undefined;
  if (cmd.username !== undefined) {
    const password = (await io.readPassword()).replace(/\r?\n$/, "");
    if (password === "") {
      throw new DockerdlError("USAGE", "--password-stdin read an empty password", { hint: 'pipe the password in, e.g. echo "$PASSWORD" | dockerdl pull … --password-stdin' });
    }
    credentials = { username: cmd.username, password };
  }
  return new RegistryClient({
    fetch: (url, init) => fetch(url, init),
    ...(cmd.proxy === undefined ? {} : { proxy: cmd.proxy }),
    ...(credentials === undefined ? {} : { credentials }),
    insecure: cmd.insecure,
  });
}

interface Resolved {
  request: ImageRequest;
  image: ResolvedImage;
  /** True when the platform was this machine's, chosen for want of --platform. */
  defaulted: boolean;
}

export async function pull(cmd: PullCommand, io: PullIO): Promise<void> {
  const line = new ProgressLine(io.stderr, !cmd.quiet);
  const warn = (text: string) => {
    if (!cmd.quiet) io.stderr.write(`dockerdl: ${text}\n`);
  };
  const requests = await gatherImages(cmd.references, cmd.files, warn);
  const commandPlatform = cmd.platform === undefined ? undefined : parsePlatformArg(cmd.platform);
  const tag = cmd.tag === undefined ? undefined : parseTag(cmd.tag);
  // Every reference and platform is checked before the first request.
  const parsed = requests.map((request) => within(request, () => ({
    request,
    ref: parseReference(request.reference),
    platform: request.platform === undefined ? commandPlatform : parsePlatformArg(request.platform),
  })));
  const client = await registryClientFor(cmd, io);
  const host = hostPlatform();
  const resolved: Resolved[] = [];
  for (const { request, ref, platform } of parsed) {
    const image = await within(request, () => client.resolveImage(ref, platform, { defaultPlatform: host, signal: io.signal }));
    resolved.push({ request, image, defaulted: platform === undefined && image.index !== undefined });
  }
  const images = resolved.map(({ image }) => (tag === undefined ? archiveImageOf(image) : retagged(archiveImageOf(image), tag)));
  const plan = planImageArchive(images);
  const single = resolved.length === 1 ? resolved[0].image : undefined;
  const defaultName = single ? defaultFileName(tag ? parseReference(tag) : single.reference, single.platform) : bundleFileName(cmd.files, cmd.references);
  const target = await chooseOutput(cmd.output, defaultName, io.stdout.isTTY === true);
  const shownOutput = target.kind === "stdout" ? "standard output" : target.path;
  for (const r of resolved) line.note(`${describe(r)} → ${shownOutput}`);
  if (resolved.length > 1) line.note(`${resolved.length} images, ${formatBytes(plan.totalSize)} (shared layers stored once)`);

  const job = {
    plan,
    source: registryBlobSource(client, resolved.map((r) => r.image)),
    reference: requests.map((r) => r.reference).join(" "),
    manifestDigest: resolved.map((r) => r.image.manifest.digest).join(","),
    connections: cmd.connections ?? CLI_CONNECTIONS,
    ...(cmd.chunkSize === undefined ? {} : { chunkSize: cmd.chunkSize }),
    line,
    signal: io.signal,
  };
  const result = target.kind === "stdout" ? await writeArchiveToStdout(job, io.stdout) : await writeArchiveToFile(job, target.path);

  if (cmd.quiet) return;
  // With -o - the tar is on standard output, so the summary goes to stderr.
  const out = target.kind === "stdout" ? io.stderr : io.stdout;
  const resumed = result.resumedBytes > 0 ? `, ${formatBytes(result.resumedBytes)} resumed` : "";
  const head = single ? single.manifest.digest : `${resolved.length} images`;
  out.write(`${shownOutput}  ${formatBytes(plan.totalSize)}  ${head}${resumed}\n`);
  if (!single) for (const r of resolved) out.write(`  ${familiarName(r.image.reference)}  ${formatPlatform(r.image.platform)}  ${r.image.manifest.digest}\n`);
  const defaulted = resolved.filter((r) => r.defaulted);
  if (defaulted.length > 0) {
    out.write(`  platform ${formatPlatform(host)}: this machine's${resolved.length > 1 ? ` (for ${defaulted.map((r) => familiarName(r.image.reference)).join(", ")})` : ""}; choose another with --platform\n`);
  }
  if (target.kind === "file") out.write(`  load it with: docker load -i ${target.path}\n`);
}

function describe({ image }: Resolved): string {
  const layers = `${image.layers.length} layer${image.layers.length === 1 ? "" : "s"}`;
  const size = formatBytes(image.layers.reduce((n, l) => n + l.size, 0));
  return `${familiarName(image.reference)} (${formatPlatform(image.platform)}, ${layers}, ${size})`;
}

/** Runs `step` for one request, naming the file and line or service in its errors. */
function within<T>(request: ImageRequest, step: () => T): T {
  const named = (error: unknown): never => {
    if (request.origin === "the command line" || !(error instanceof DockerdlError)) throw error;
    throw new DockerdlError(error.code, `${request.origin}: ${error.message}`, { ...(error.hint === undefined ? {} : { hint: error.hint }), cause: error });
  };
  try {
    const value = step();
    return value instanceof Promise ? (value.catch(named) as T) : value;
  } catch (error) {
    return named(error);
  }
}

/** --tag as docker tags: name:tag, no digest; a bare name takes :latest. */
function parseTag(text: string): string {
  let ref;
  try {
    ref = parseReference(text);
  } catch (error) {
    if (!(error instanceof DockerdlError)) throw error;
    throw new DockerdlError("USAGE", `--tag ${JSON.stringify(text)}: ${error.message}`, { hint: "write it as name:tag, e.g. --tag myapp:1.0" });
  }
  if (ref.digest !== undefined) throw new DockerdlError("USAGE", `--tag ${JSON.stringify(text)} names a digest; a tag is name:tag`, { hint: "e.g. --tag myapp:1.0" });
  return formatReference(ref);
}

function retagged(image: ArchiveImage, tag: string): ArchiveImage {
  const ref = parseReference(tag);
  return { ...image, repoTags: [repoTag(ref) as string], imageName: formatReference(ref), refName: ref.tag as string };
}
