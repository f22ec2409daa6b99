// An explorer save: one file's bytes (a hardlink's from its target), a folder or the
// whole filesystem flattened top-down into a ZIP or a tar, written to a Blob, a picked
// file or the service worker's stream (sinks.ts), with throttled progress.
import { DockerdlError } from "../../../shared/errors.ts";
import { flatTar, flattenLayers, type FlatItem, type LayerEntries } from "../../../shared/flatten.ts";
import { normalizeTarPath } from "../../../shared/rootfs.ts";
import { contentTypeOf } from "../../lib/export-stream.ts";
import type { Call } from "../../lib/rpc.ts";
import { newStats } from "./layer-source.ts";
import { throttled, type Session } from "./open-image.ts";
import { openOutput, writeAll } from "./sinks.ts";
import { within } from "./tree-index.ts";
import type { ExploreProgress, SaveResult, SaveTarget, SaveWhat } from "./types.ts";
import { writeFlatZip } from "./zip-export.ts";

export async function save({ source, tree }: Session, what: SaveWhat, target: SaveTarget, { signal, progress: report }: Call<ExploreProgress>): Promise<SaveResult> {
  const root = normalizeTarPath(what.path);
  const node = tree.get(root);
  if (!node) throw new DockerdlError("NOT_FOUND", `${root || "/"} is not in this image`, { hint: "pick it from the tree again" });
  const stats = newStats();
  const output = await openOutput(target, contentTypeOf(what.kind), signal);
  let done = 0;
  let entries = 0;
  const total = what.kind === "file" ? node.size : tree.bytesUnder(root, what.kind === "zip");
  const progress = throttled(() => report({ done, total, entries }));
  const count = async function* (chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      done += chunk.length;
      progress();
      yield chunk;
    }
  };
  // A hardlink's data is its target's, read from the layer the target comes from.
  const readFile = (path: string): AsyncIterable<Uint8Array> | undefined => {
    const target = tree.get(path);
    if (target?.type !== "file") return undefined;
    return count(source.file(target.layer, target.path, stats, signal));
  };

  if (what.kind === "file") {
    const data = node.type === "hardlink" && node.linkname ? readFile(node.linkname) : node.type === "file" ? count(source.file(node.layer, node.path, stats, signal)) : undefined;
    if (!data) {
      await output.stream.abort().catch(() => {});
      throw new DockerdlError("NOT_A_FILE", `${root} is a ${node.type}, not a file`, { hint: "download its folder instead" });
    }
    await writeAll(data, output.stream);
    entries = 1;
  } else {
    const layerCount = source.image.layers.length;
    async function* topDown(): AsyncGenerator<LayerEntries> {
      for (let index = layerCount - 1; index >= 0; index--) yield { index, items: source.items(index, stats, signal) };
    }
    async function* selected(): AsyncGenerator<FlatItem> {
      // The tree decides what the export holds, so the two never disagree.
      for await (const item of flattenLayers(topDown(), tree)) {
        if (!within(item.path, root)) continue;
        entries++;
        yield { ...item, body: () => count(item.body()) };
      }
    }
    if (what.kind === "zip") {
      await writeFlatZip(selected(), output.stream, { signal, readFile });
    } else {
      await writeAll(flatTar(selected()), output.stream);
    }
  }
  progress(true);
  const result: SaveResult = { bytes: output.bytes(), entries, fetchedLayers: stats.fetched };
  const blob = output.blob();
  if (blob) result.blob = blob;
  return result;
}
