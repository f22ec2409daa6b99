// `dockerdl pull`: resolve every image asked for (one, several, or those a -f file
// names), plan one tar holding them all (a layer shared by two images stored once),
// decide where it goes before fetching anything, and fill it (write-archive.ts).

import { distinctEntries, type BundleEntry } from "../shared/bundle-names.ts";
import { DockerdlError } from "../shared/errors.ts";
import { formatBytes } from "../shared/engine/index.ts";
import { archiveImageOf, planImageArchive, type ArchiveImage } from "../shared/image-archive.ts";
import { formatPlatform, parsePlatform } from "../shared/platform.ts";
import { defaultFileName, familiarName, formatReference, parseReference, repoTag, type Reference } from "../shared/reference.ts";
import { RegistryClient, type ResolvedImage } from "../shared/registry/client.ts";
import { explainNotFound } from "../shared/registry/not-found.ts";
import type { PullCommand, RegistryAccess } from "./args.ts";
import { bundleFileName, gatherImages, type ImageRequest } from "./image-list.ts";
import { registryClientOptions } from "./network/client-options.ts";
import { SocketSlots } from "./network/socket-slots.ts";
import { chooseOutput } from "./output-target.ts";
import { hostPlatform } from "./platform-arg.ts";
import { ProgressLine } from "./progress-line.ts";
import { blobSourceOf, pullSources, resolveOnFirst } from "./pull-sources.ts";
import { PullReporter } from "./source-progress.ts";
import { chooseSources } from "./sources-config.ts";
import { writeArchiveToFile, writeArchiveToStdout, writeArchiveToStream } from "./write-archive.ts";

const CLI_CONNECTIONS = 8;

export interface PullIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  readPassword(): Promise<string>;
  signal: AbortSignal;
}

/**
 * The registry client for `ref`: its proxies and TLS settings, and the credentials given
 * for it (--username/--password-stdin) or stored for its registry by docker/podman login.
 */
export async function registryClientFor(cmd: RegistryAccess, ref: Reference, io: Pick<PullIO, "readPassword" | "stderr">, sockets?: SocketSlots): Promise<RegistryClient> {
  return new RegistryClient(await registryClientOptions(cmd, ref, { ...io, env: process.env }, sockets));
}

/**
 * One client per registry the images come from (one for all through a mirror), so that
 * credentials found for one registry are never sent to another. --username names one
 * registry's account, so a bundle from several registries refuses it.
 */
async function clientsFor(cmd: RegistryAccess, refs: readonly Reference[], io: Pick<PullIO, "readPassword" | "stderr">, sockets: SocketSlots): Promise<(ref: Reference) => RegistryClient> {
  const keyOf = (ref: Reference) => (cmd.proxy === undefined ? ref.registry : "mirror");
  const registries = [...new Set(refs.map(keyOf))];
  if (cmd.username !== undefined && registries.length > 1) {
    throw new DockerdlError("USAGE", `--username signs in to one registry, but these images come from ${registries.join(", ")}`, {
      hint: "pull each registry's images in their own command, or sign in with docker login / podman login so each registry gets its own credentials",
    });
  }
  const clients = new Map<string, RegistryClient>();
  for (const ref of refs) if (!clients.has(keyOf(ref))) clients.set(keyOf(ref), await registryClientFor(cmd, ref, io, sockets));
  return (ref) => clients.get(keyOf(ref))!;
}

interface Resolved {
  request: ImageRequest;
  image: ResolvedImage;
  /** True when the platform was this machine's, chosen for want of --platform. */
  defaulted: boolean;
}

export async function pull(cmd: PullCommand, io: PullIO): Promise<void> {
  const line = new PullReporter(new ProgressLine(io.stderr, !cmd.quiet && !cmd.json), { stderr: io.stderr, json: cmd.json, verbose: cmd.verbose, quiet: cmd.quiet });
  const warn = (text: string) => {
    if (cmd.json) line.json({ type: "warning", text });
    else if (!cmd.quiet) io.stderr.write(`dockerdl: ${text}\n`);
  };
  const requests = await gatherImages(cmd.references, cmd.files, warn);
  const commandPlatform = cmd.platform === undefined ? undefined : parsePlatform(cmd.platform);
  const tag = cmd.tag === undefined ? undefined : parseTag(cmd.tag);
  // Every reference and platform is checked before the first request.
  const parsed = requests.map((request) => within(request, () => ({
    request,
    ref: parseReference(request.reference),
    platform: request.platform === undefined ? commandPlatform : parsePlatform(request.platform),
  })));
  // With several sources, --connections is each one's.
  const connections = cmd.connections ?? CLI_CONNECTIONS;
  const refs = parsed.map((p) => p.ref);
  // One ceiling per source: --connections counts its sockets, every host it reaches
  // together (a registry and the CDN it redirects to share it).
  const sources = await pullSources(cmd, await chooseSources(cmd, process.env), refs, (access, r) => clientsFor(access, r, io, new SocketSlots(connections)));
  const host = hostPlatform();
  let resolved: Resolved[] = [];
  for (const { request, ref, platform } of parsed) {
    const image = await within(request, () => resolveOnFirst(
      sources,
      (client) => client.resolveImage(ref, platform, { defaultPlatform: host, signal: io.signal }),
      (error, client) => explainNotFound(error, ref, client, ref.registry, io.signal),
      warn,
      ref,
    ));
    resolved.push({ request, image, defaulted: platform === undefined && image.index !== undefined });
  }
  resolved = distinctEntries(resolved.map(bundleEntryOf)).map((i) => resolved[i]);
  const images = resolved.map(({ image }) => (tag === undefined ? archiveImageOf(image) : retagged(archiveImageOf(image), tag)));
  const plan = planImageArchive(images);
  const single = resolved.length === 1 ? resolved[0].image : undefined;
  const defaultName = single ? defaultFileName(tag ? parseReference(tag) : single.reference, single.platform) : bundleFileName(cmd.files, cmd.references);
  const target = await chooseOutput(cmd.output, defaultName, io.stdout.isTTY === true);
  const shownOutput = target.kind === "stdout" ? "standard output" : target.path;
  for (const r of resolved) line.note(`${describe(r)} → ${shownOutput}`);
  if (resolved.length > 1) line.note(`${resolved.length} images, ${formatBytes(plan.totalSize)} (shared layers stored once)`);

  const blobs = blobSourceOf(sources, resolved.map((r) => r.image), connections, (event) => line.event(event), cmd.readTimeoutMs);
  if (blobs.multi !== undefined) {
    const multi = blobs.multi;
    line.stats = () => multi.stats();
    line.note(`${sources.length} sources: ${sources.map((s) => s.name).join(", ")}`);
  }
  const job = {
    plan,
    source: blobs.source,
    reference: requests.map((r) => r.reference).join(" "),
    manifestDigest: resolved.map((r) => r.image.manifest.digest).join(","),
    connections: blobs.connections,
    ...(cmd.chunkSize === undefined ? {} : { chunkSize: cmd.chunkSize }),
    ...(cmd.readTimeoutMs === undefined ? {} : { stallMs: cmd.readTimeoutMs }),
    line,
    signal: io.signal,
  };
  let result;
  try {
    result = target.kind === "stdout" ? await writeArchiveToStdout(job, io.stdout)
      : target.kind === "stream" ? await writeArchiveToStream(job, target.path)
      : await writeArchiveToFile(job, target.path);
  } finally {
    blobs.multi?.close();
  }
  if (cmd.json) {
    line.json({
      type: "done", output: shownOutput, totalBytes: plan.totalSize, fetchedBytes: result.fetchedBytes, resumedBytes: result.resumedBytes,
      ...(blobs.multi === undefined ? {} : { sources: blobs.multi.stats() }),
    });
  }

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

/** An image as bundle-names.ts names it: a command-line one by its reference, a file's by its line or service. */
function bundleEntryOf({ request, image }: Resolved): BundleEntry {
  const origin = request.origin === "the command line" ? request.reference : request.origin;
  return { origin, reference: image.reference, platform: image.platform, digest: image.manifest.digest };
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
