// Opening an image for the explorer: resolve it, then read each layer (from a saved
// file that holds it, this browser's layer cache, or a verified fetch) into the merged
// filesystem, with throttled progress. A saved file that turns out not to hold its
// layer any more is forgotten and the layer is read again from elsewhere.
import type { Platform } from "../../../shared/platform.ts";
import { defaultFileName, familiarName, parseReference } from "../../../shared/reference.ts";
import { MergedFs } from "../../../shared/rootfs.ts";
import type { TarReadEntry } from "../../../shared/tar-reader.ts";
import { proxyClient } from "../../lib/image-lookup.ts";
import type { ImageQuery } from "../../lib/protocol.ts";
import type { Call } from "../../lib/rpc.ts";
import { LayerSource, checkLayersDecompressible, newStats, type LayerOrigin } from "./layer-source.ts";
import { savedMismatch } from "./saved-layers.ts";
import { TreeIndex } from "./tree-index.ts";
import type { ExploreProgress, OpenedImage } from "./types.ts";

/** An open image: where its layers come from, its tree, and what the page was told. */
export interface Session {
  source: LayerSource;
  tree: TreeIndex;
  opened: OpenedImage;
}

/** Progress at most every 100 ms, and always the last one. */
export function throttled(send: () => void): (force?: boolean) => void {
  let last = 0;
  return (force = false) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    send();
  };
}

/**
 * Resolves the image and reads every layer into the merged filesystem, reporting which
 * layer it is on and where its bytes come from.
 */
export async function openImage({ reference, platform, credentials }: ImageQuery & { platform?: Platform | undefined }, { signal, progress: report }: Call<ExploreProgress>): Promise<Session> {
  const client = proxyClient(credentials);
  const ref = parseReference(reference);
  const image = await client.resolveImage(ref, platform, { signal });
  checkLayersDecompressible(image);
  const source = new LayerSource(client, image);
  const fs = new MergedFs();
  const total = image.layers.reduce((sum, l) => sum + l.size, 0);
  const stats = newStats();
  const layers: OpenedImage["layers"] = image.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType }));
  let entries = 0;
  let layerIndex = 0;
  let origin: LayerOrigin | undefined;
  const progress = throttled(() =>
    report({
      layer: layerIndex, layers: image.layers.length, done: stats.bytes, total, entries,
      ...(origin ? { source: origin.source } : {}), ...(origin?.source === "saved" ? { savedFile: origin.fileName } : {}),
    }),
  );
  const noted = (o: LayerOrigin) => {
    origin = o;
    const view = layers[layerIndex];
    view.source = o.source;
    if (o.source === "saved") view.savedFile = o.fileName;
    else delete view.savedFile;
  };
  for (layerIndex = 0; layerIndex < image.layers.length; layerIndex++) {
    const before = { entries, bytes: stats.bytes };
    for (;;) {
      const headers: TarReadEntry[] = [];
      try {
        for await (const item of source.items(layerIndex, stats, signal, noted)) {
          headers.push(item.entry);
          entries++;
          progress();
        }
      } catch (error) {
        // A saved file that no longer holds the layer is forgotten: read it again elsewhere.
        if (signal.aborted || !savedMismatch(error)) throw error;
        stats.saved--;
        entries = before.entries;
        stats.bytes = before.bytes;
        continue;
      }
      fs.applyLayer(layerIndex, headers);
      break;
    }
    progress(true);
  }
  await source.settled();
  const tree = new TreeIndex(fs);
  const opened: OpenedImage = {
    reference: familiarName(ref),
    platform: image.platform,
    digest: image.manifest.digest,
    layers,
    entries: tree.entries,
    fileBytes: tree.fileBytes,
    baseName: defaultFileName(ref, image.platform).replace(/\.tar$/, ""),
    fetchedLayers: stats.fetched,
    cachedLayers: stats.cached,
    savedLayers: stats.saved,
    savedWaiting: [...source.saved.waiting.values()],
  };
  return { source, tree, opened };
}
