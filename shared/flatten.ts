// Flattens an image's layers into the filesystem a container would see, in one pass over
// the layers from the top one down (like `crane export`): an entry is kept when no
// higher layer wrote the same path or whited it (or a parent) out. Entry data streams
// through, so memory stays bounded by the set of paths seen, never by file sizes.
// Entries below a symlink are dropped (see rootfs.ts); one pass top-down only sees the
// symlinks of the same or higher layers, so a caller that has the merged tree passes it
// and the export then holds exactly the tree's entries.
import { normalizeTarPath, parentOf, whiteoutOf, type FsNode } from "./rootfs.ts";
import { TAR_END, tarHeader, tarPadding } from "./tar-header.ts";
import type { TarReadEntry, TarReadItem } from "./tar-reader.ts";

export interface FlatItem {
  /** Normalised path (no leading "/" or "./"). */
  path: string;
  entry: TarReadEntry;
  /** Index of the layer the entry comes from (0 is the bottom layer). */
  layer: number;
  body(): AsyncGenerator<Uint8Array>;
}

export interface LayerEntries {
  index: number;
  items: AsyncIterable<TarReadItem>;
}

function hiddenBy(path: string, deleted: Set<string>, opaque: Set<string>): boolean {
  if (deleted.has(path)) return true;
  for (let p = parentOf(path); ; p = parentOf(p)) {
    if (deleted.has(p) && p !== "") return true;
    if (opaque.has(p)) return true;
    if (p === "") return false;
  }
}

function underAny(path: string, links: Set<string>): boolean {
  for (let p = parentOf(path); p !== ""; p = parentOf(p)) if (links.has(p)) return true;
  return false;
}

/** The merged tree (rootfs.ts's MergedFs or a view of it), when the caller has it. */
export interface FlatTree {
  get(path: string): FsNode | undefined;
}

/**
 * Layers must come top-down (last layer first). Hardlinks whose target lies lower are
 * emitted last. With `tree`, an entry is kept only where the tree has it from that layer.
 */
export async function* flattenLayers(layersTopDown: AsyncIterable<LayerEntries>, tree?: FlatTree): AsyncGenerator<FlatItem> {
  const seen = new Set<string>();
  const symlinks = new Set<string>();
  const deleted = new Set<string>();
  const opaque = new Set<string>();
  const deferredLinks: FlatItem[] = [];
  const emptyBody = async function* (): AsyncGenerator<Uint8Array> {};
  for await (const layer of layersTopDown) {
    const layerDeleted: string[] = [];
    const layerOpaque: string[] = [];
    for await (const item of layer.items) {
      const path = normalizeTarPath(item.entry.name);
      if (path === "") continue;
      const whiteout = whiteoutOf(path);
      if (whiteout !== undefined) {
        if (whiteout.kind === "opaque") layerOpaque.push(whiteout.dir);
        else layerDeleted.push(whiteout.path);
        continue;
      }
      if (seen.has(path) || hiddenBy(path, deleted, opaque) || underAny(path, symlinks)) continue;
      if (tree !== undefined && !inTree(tree, path, item.entry.type, layer.index)) continue;
      // A directory written by a higher layer still lets lower layers fill it.
      seen.add(path);
      if (item.entry.type === "symlink") symlinks.add(path);
      const flat: FlatItem = { path, entry: item.entry, layer: layer.index, body: item.body };
      if (item.entry.type === "hardlink" && !seen.has(normalizeTarPath(item.entry.linkname))) {
        deferredLinks.push({ ...flat, body: emptyBody });
        continue;
      }
      yield flat;
    }
    for (const p of layerDeleted) deleted.add(p);
    for (const p of layerOpaque) opaque.add(p);
  }
  for (const link of deferredLinks) {
    if (seen.has(normalizeTarPath(link.entry.linkname))) yield link;
  }
}

function inTree(tree: FlatTree, path: string, type: string, layer: number): boolean {
  const node = tree.get(path);
  return node !== undefined && node.type === type && node.layer === layer;
}

/** The flattened filesystem as a tar stream (what `crane export` writes). */
export async function* flatTar(items: AsyncIterable<FlatItem>): AsyncGenerator<Uint8Array> {
  for await (const item of items) {
    const { entry } = item;
    if (entry.type === "other") continue; // devices and fifos don't belong in an export
    const size = entry.type === "file" ? entry.size : 0;
    yield tarHeader({
      name: item.path,
      size,
      mode: entry.mode,
      type: entry.type,
      mtime: Math.max(0, entry.mtime),
      linkname: entry.type === "hardlink" ? normalizeTarPath(entry.linkname) : entry.linkname || undefined,
    });
    if (size > 0) {
      let written = 0;
      for await (const chunk of item.body()) {
        written += chunk.length;
        yield chunk;
      }
      if (written !== size) throw new Error(`${item.path}: layer data ended after ${written} of ${size} bytes`);
      const pad = tarPadding(size);
      if (pad) yield new Uint8Array(pad);
    }
  }
  yield TAR_END;
}
