// Questions the explore view asks about a merged filesystem (shared/rootfs.ts): a
// folder's children (folders first), path search with the folders leading to each
// match, folder sizes, and which nodes an export of a subtree covers.
import type { FsNode, MergedFs } from "../../../shared/rootfs.ts";
import type { NodeView, SearchResult } from "./types.ts";

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

/** Orders paths as a tree shows them: a folder, then everything inside it, then its next sibling. */
export function treeOrder(a: string, b: string): number {
  const x = a.replaceAll("/", "\u0000");
  const y = b.replaceAll("/", "\u0000");
  return x < y ? -1 : x > y ? 1 : 0;
}

const counted = (node: FsNode) => node.type === "file" || node.type === "hardlink";

export class TreeIndex {
  readonly #fs: MergedFs;
  readonly #all: FsNode[];
  readonly #sizes = new Map<string, number>();
  readonly entries: number;
  readonly fileBytes: number;

  constructor(fs: MergedFs) {
    this.#fs = fs;
    this.#all = fs.list().sort((a, b) => treeOrder(a.path, b.path));
    let total = 0;
    for (const node of this.#all) {
      if (!counted(node)) continue;
      total += node.size;
      for (let p = parentOf(node.path); p !== ""; p = parentOf(p)) this.#sizes.set(p, (this.#sizes.get(p) ?? 0) + node.size);
    }
    this.entries = this.#all.length;
    this.fileBytes = total;
  }

  get(path: string): FsNode | undefined {
    return this.#fs.get(path);
  }

  view(node: FsNode): NodeView {
    const out: NodeView = {
      path: node.path,
      type: node.type,
      size: node.type === "directory" ? (this.#sizes.get(node.path) ?? 0) : node.size,
      // A hardlink shares its target's inode, so `ls -l` shows the target's mode.
      mode: node.type === "hardlink" && node.linkname !== undefined ? (this.#fs.get(node.linkname)?.mode ?? node.mode) : node.mode,
      layer: node.layer + 1,
      hasChildren: node.type === "directory" && this.#fs.childrenOf(node.path).length > 0,
    };
    if (node.linkname !== undefined) out.linkname = node.linkname;
    return out;
  }

  children(path: string): NodeView[] {
    return this.#fs
      .childrenOf(path)
      .sort((a, b) => Number(b.type === "directory") - Number(a.type === "directory") || treeOrder(a.path, b.path))
      .map((n) => this.view(n));
  }

  /** Case-insensitive substring search on the whole path ("/etc/ssl" and "etc/ssl" alike). */
  search(query: string, limit: number): SearchResult {
    const needle = query.trim().replace(/^\/+/, "").toLowerCase();
    if (needle === "") return { nodes: [], matches: [], total: 0, truncated: false };
    const matches: FsNode[] = [];
    let total = 0;
    for (const node of this.#all) {
      if (!node.path.toLowerCase().includes(needle)) continue;
      total++;
      if (matches.length < limit) matches.push(node);
    }
    const shown = new Map<string, FsNode>();
    for (const node of matches) {
      shown.set(node.path, node);
      for (let p = parentOf(node.path); p !== ""; p = parentOf(p)) {
        if (shown.has(p)) break;
        const folder = this.#fs.get(p);
        if (folder) shown.set(p, folder);
      }
    }
    const nodes = [...shown.values()].sort((a, b) => treeOrder(a.path, b.path)).map((n) => this.view(n));
    return { nodes, matches: matches.map((n) => n.path), total, truncated: total > matches.length };
  }

  /** Bytes of file data an export of `root` ("" for everything) reads. */
  bytesUnder(root: string, withHardlinks: boolean): number {
    let total = 0;
    for (const node of this.#all) {
      if (!within(node.path, root)) continue;
      if (node.type === "file" || (withHardlinks && node.type === "hardlink")) total += node.size;
    }
    return total;
  }
}

export function within(path: string, root: string): boolean {
  return root === "" || path === root || path.startsWith(`${root}/`);
}
