// The merged filesystem of an image: layers applied in order with OCI whiteouts, as a
// container runtime would see it. Only metadata is kept (path, type, size, mode, link
// target and which layer a file comes from), so a tree of any image fits in memory and
// file contents can be fetched later from the layer named on each node.
//
// Whiteout rules (OCI image spec, "Representing Changes"): `.wh.<name>` hides <name> from
// lower layers; `.wh..wh..opq` in a directory hides everything lower layers put in it.
// Neither hides what the same layer adds, so a layer's whiteouts are applied before its
// additions whatever their order in the tar.
//
// An entry below a symlink (`esc -> /outside`, then `esc/x.txt`) is dropped: written
// through the link it would land outside the path it names, and extractors refuse it.
// The flattened export (flatten.ts) keeps to the same tree.
import type { TarReadEntry } from "./tar-reader.ts";

export type FsNodeType = "file" | "directory" | "symlink" | "hardlink" | "other";

export interface FsNode {
  /** Path without a leading "/" or "./"; "" is the root. */
  path: string;
  type: FsNodeType;
  size: number;
  mode: number;
  mtime: number;
  uid: number;
  gid: number;
  /** Symlink target as written, or the path a hardlink points to. */
  linkname?: string;
  /** Index of the layer this entry comes from (-1 for directories no layer listed). */
  layer: number;
}

const WHITEOUT_PREFIX = ".wh.";
const OPAQUE = ".wh..wh..opq";

/** What a normalised path does as a whiteout: hide one path, empty a directory of lower layers' entries, or nothing. */
export type Whiteout = { kind: "remove"; path: string } | { kind: "opaque"; dir: string } | undefined;

export function whiteoutOf(path: string): Whiteout {
  const dir = parentOf(path);
  const base = path.slice(path.lastIndexOf("/") + 1);
  if (base === OPAQUE) return { kind: "opaque", dir };
  if (base.startsWith(WHITEOUT_PREFIX)) return { kind: "remove", path: (dir ? dir + "/" : "") + base.slice(WHITEOUT_PREFIX.length) };
  return undefined;
}

export function normalizeTarPath(name: string): string {
  const parts: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return parts.join("/");
}

export function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

export class MergedFs {
  private readonly nodes = new Map<string, FsNode>();
  /** Children per directory path, so deleting a subtree doesn't scan everything. */
  private readonly children = new Map<string, Set<string>>();

  constructor() {
    this.nodes.set("", { path: "", type: "directory", size: 0, mode: 0o755, mtime: 0, uid: 0, gid: 0, layer: -1 });
  }

  /** Applies one layer, given its tar entries' headers in archive order. */
  applyLayer(layer: number, entries: readonly TarReadEntry[]): void {
    const additions: TarReadEntry[] = [];
    for (const entry of entries) {
      const whiteout = whiteoutOf(normalizeTarPath(entry.name));
      if (whiteout?.kind === "opaque") this.clearChildren(whiteout.dir);
      else if (whiteout?.kind === "remove") this.remove(whiteout.path);
      else additions.push(entry);
    }
    for (const entry of additions) this.add(layer, entry);
  }

  get(path: string): FsNode | undefined {
    return this.nodes.get(normalizeTarPath(path));
  }

  /** Every node but the root, sorted by path. */
  list(): FsNode[] {
    return [...this.nodes.values()].filter((n) => n.path !== "").sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  childrenOf(path: string): FsNode[] {
    const names = this.children.get(normalizeTarPath(path));
    if (!names) return [];
    return [...names].map((p) => this.nodes.get(p)!).sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  private add(layer: number, entry: TarReadEntry): void {
    const path = normalizeTarPath(entry.name);
    if (path === "") {
      const root = this.nodes.get("")!;
      Object.assign(root, { mode: entry.mode, mtime: entry.mtime, uid: entry.uid, gid: entry.gid });
      return;
    }
    if (this.underSymlink(path)) return;
    this.ensureParents(path, layer);
    const existing = this.nodes.get(path);
    if (existing && !(existing.type === "directory" && entry.type === "directory")) this.remove(path);
    let size = entry.size;
    let linkname: string | undefined = entry.linkname || undefined;
    if (entry.type === "hardlink") {
      linkname = normalizeTarPath(entry.linkname);
      size = this.nodes.get(linkname)?.size ?? 0;
    }
    const node: FsNode = { path, type: entry.type, size, mode: entry.mode, mtime: entry.mtime, uid: entry.uid, gid: entry.gid, layer };
    if (entry.type === "symlink" || entry.type === "hardlink") node.linkname = linkname;
    if (existing?.type === "directory" && entry.type === "directory") {
      Object.assign(existing, { mode: node.mode, mtime: node.mtime, uid: node.uid, gid: node.gid, layer });
      return;
    }
    this.nodes.set(path, node);
    this.childSet(parentOf(path)).add(path);
  }

  private underSymlink(path: string): boolean {
    for (let p = parentOf(path); p !== ""; p = parentOf(p)) {
      if (this.nodes.get(p)?.type === "symlink") return true;
    }
    return false;
  }

  private ensureParents(path: string, layer: number): void {
    const parent = parentOf(path);
    if (parent === "") return;
    const node = this.nodes.get(parent);
    if (node?.type === "directory") return;
    this.ensureParents(parent, layer);
    if (node) this.remove(parent);
    this.nodes.set(parent, { path: parent, type: "directory", size: 0, mode: 0o755, mtime: 0, uid: 0, gid: 0, layer });
    this.childSet(parentOf(parent)).add(parent);
  }

  private childSet(path: string): Set<string> {
    let set = this.children.get(path);
    if (!set) {
      set = new Set();
      this.children.set(path, set);
    }
    return set;
  }

  private clearChildren(path: string): void {
    for (const child of [...(this.children.get(path) ?? [])]) this.remove(child);
  }

  private remove(path: string): void {
    if (!this.nodes.has(path)) return;
    this.clearChildren(path);
    this.children.delete(path);
    this.nodes.delete(path);
    this.children.get(parentOf(path))?.delete(path);
  }
}
