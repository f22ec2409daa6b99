// Several sources for one download job (issue #29), on either path (the download
// worker's file, the service worker's stream): the page's own Worker plus each extra
// source the person listed in settings (other dockerdl Workers or mirrors that allow
// CORS), one registry client each. The images were resolved once on the own Worker, as
// the CLI does (cli/pull-sources.ts); a blob's digest proves its bytes whoever served them.

import { MultiSource, registryBlobSource, type BlobHasherFactory, type BlobSource, type SourceEvent } from "../../shared/engine/index.ts";
import { DockerdlError } from "../../shared/errors.ts";
import type { ResolvedImage } from "../../shared/registry/client.ts";
import { proxyClient } from "./image-lookup.ts";

export interface JobSources {
  /** What the engine reads: the own Worker's source alone, or the MultiSource. */
  source: BlobSource;
  /** With extra sources: the same MultiSource, whose per-source figures the card shows. */
  multi?: MultiSource;
}

export interface ExtraSourceOptions {
  /** The extra sources' URLs from settings; none: the own Worker alone. */
  extra: readonly string[] | undefined;
  /** The images fetched without credentials: the only ones whose layers extra sources serve. */
  anonymous: readonly ResolvedImage[];
  /** Requests at once to each source (the browser's limit is per host). */
  connections: number;
  createHasher: BlobHasherFactory;
  onEvent(event: SourceEvent): void;
}

/**
 * The own Worker's `own` and, when settings list extra sources, one source per URL over
 * the MultiSource; each named by its URL, the own Worker by this app's origin. Extra
 * sources get no credentials (they are other people's servers) and are never asked for a
 * layer only a signed-in image has: it stays with the own Worker, silently (the engine
 * skips a source a layer is not for; that is no news on the card).
 */
export function jobSources(own: BlobSource, o: ExtraSourceOptions): JobSources {
  if (!o.extra?.length || o.anonymous.length === 0) return { source: own };
  const served = new Set(o.anonymous.flatMap((image) => image.layers.map((l) => l.digest)));
  const extraSource = (url: string): BlobSource => {
    const source = registryBlobSource(proxyClient(undefined, url), o.anonymous);
    return {
      fetchRange: (digest, start, end, signal) => served.has(digest) ? source.fetchRange(digest, start, end, signal) : Promise.reject(new DockerdlError(
        "UNAUTHORIZED", `not asked for layer ${digest}: only a signed-in image has it, and credentials stay with this app's Worker`,
      )),
    };
  };
  const specs = [
    { name: self.location.origin, source: own, connections: o.connections },
    ...o.extra.map((url) => ({ name: url, source: extraSource(url), connections: o.connections })),
  ];
  const onEvent = (event: SourceEvent) => {
    if (event.kind === "skipped" && !served.has(event.digest)) return;
    o.onEvent(event);
  };
  const multi = new MultiSource(specs, { createHasher: o.createHasher, onEvent });
  return { source: multi, multi };
}
