// Several sources for one image (issue #29): the page's own Worker plus each extra source
// the person listed in settings (other dockerdl Workers or mirrors that allow CORS), one
// registry client each, the image resolved once on the own Worker, as the CLI does
// (cli/pull-sources.ts). A blob's digest proves its bytes whoever served them.

import { MultiSource, registryBlobSource, type BlobSource, type SourceEvent } from "../../../shared/engine/index.ts";
import type { ResolvedImage } from "../../../shared/registry/client.ts";
import { proxyClient } from "../../lib/image-lookup.ts";
import { CONNECTIONS } from "./file-download.ts";
import { remoteSHA256 } from "./remote-hasher.ts";

/**
 * A MultiSource over `own` and every extra source, each with the connections one
 * source gets alone (the browser's limit is per host); each is named by its URL, the own
 * Worker by this app's origin.
 * Extra sources get no credentials: they are other people's servers.
 */
export function multiSourceOf(own: BlobSource, extra: readonly string[], image: ResolvedImage, onEvent: (event: SourceEvent) => void): MultiSource {
  const specs = [
    { name: self.location.origin, source: own, connections: CONNECTIONS },
    ...extra.map((url) => ({ name: url, source: registryBlobSource(proxyClient(undefined, url), image), connections: CONNECTIONS })),
  ];
  return new MultiSource(specs, { createHasher: remoteSHA256, onEvent });
}
