// The sources of one pull (sources-config.ts chooses them): a registry client for each
// (a mirror's is the --proxy client pointed at it), the tag resolved once on the first
// that answers (the trusted one first, else the registry, then the mirrors in order),
// and the blob source the engine reads: one source's own, or a MultiSource over all.

import { MultiSource, registryBlobSource, type BlobSource, type SourceEvent } from "../shared/engine/index.ts";
import { DockerdlError } from "../shared/errors.ts";
import type { Reference } from "../shared/reference.ts";
import type { RegistryClient, ResolvedImage } from "../shared/registry/client.ts";
import type { PullCommand, RegistryAccess } from "./args.ts";
import { nodeHasher } from "./file-sink.ts";
import type { SourceChoice } from "./sources-config.ts";

export interface PullSource {
  /** "registry", or the mirror's URL. */
  name: string;
  clientOf(ref: Reference): RegistryClient;
}

export type ClientsFor = (cmd: RegistryAccess, refs: readonly Reference[]) => Promise<(ref: Reference) => RegistryClient>;

/** A client (per registry) for each chosen source, the trusted one first. */
export async function pullSources(cmd: PullCommand, choice: SourceChoice, refs: readonly Reference[], clientsFor: ClientsFor): Promise<PullSource[]> {
  const count = choice.mirrors.length + (choice.direct ? 1 : 0);
  if (count > 1 && cmd.username !== undefined) {
    throw new DockerdlError("USAGE", "--username signs in to one registry, but this pull has several sources (--mirror, DOCKERDL_MIRRORS or the config file)", {
      hint: "sign in with docker login / podman login instead, so each source gets its own credentials, or pull from one source",
    });
  }
  const { proxy: _ignored, ...direct } = cmd;
  const sources: PullSource[] = [];
  if (choice.direct) sources.push({ name: "registry", clientOf: await clientsFor(direct, refs) });
  for (const mirror of choice.mirrors) sources.push({ name: mirror, clientOf: await clientsFor({ ...direct, proxy: mirror }, refs) });
  const trusted = sources.findIndex((s) => s.name === choice.trust);
  if (trusted > 0) sources.unshift(...sources.splice(trusted, 1));
  return sources;
}

/**
 * `resolve` on each source in turn until one answers; the first source's failure
 * (explained by `explain`) when none does.
 */
export async function resolveOnFirst(
  sources: readonly PullSource[],
  resolve: (client: RegistryClient) => Promise<ResolvedImage>,
  explain: (error: unknown, client: RegistryClient) => Promise<unknown>,
  warn: (text: string) => void,
  ref: Reference,
): Promise<ResolvedImage> {
  let first: unknown;
  for (const source of sources) {
    const client = source.clientOf(ref);
    try {
      return await resolve(client);
    } catch (error) {
      if (error instanceof DockerdlError && error.code === "CANCELLED") throw error;
      if (sources.length > 1) warn(`source ${source.name} could not resolve the image: ${error instanceof Error ? error.message : String(error)}`);
      first ??= await explain(error, client);
    }
  }
  throw first;
}

/** The engine's blob source: one source's own, or every source's behind a MultiSource. */
export function blobSourceOf(
  sources: readonly PullSource[], images: readonly ResolvedImage[], connections: number, onEvent: (event: SourceEvent) => void, stallMs?: number,
): { source: BlobSource; connections: number; multi?: MultiSource } {
  const specs = sources.map((s) => ({ name: s.name, source: registryBlobSource((image) => s.clientOf(image.reference), images), connections }));
  if (specs.length === 1) return { source: specs[0].source, connections };
  const multi = new MultiSource(specs, { createHasher: nodeHasher, onEvent, ...(stallMs === undefined ? {} : { stallMs }) });
  return { source: multi, connections: multi.connections, multi };
}
