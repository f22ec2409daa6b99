// What the explore worker's calls (services.ts) take and answer, for the explore view:
// plain structured-clonable data; a MessagePort is transferred, a file handle cloned.

import type { Platform } from "../../../shared/platform.ts";
import type { FsNodeType } from "../../../shared/rootfs.ts";
import type { ExportKind } from "../../lib/export-stream.ts";

/** One row of the tree. Sizes of directories are the sum of the files below them. */
export interface NodeView {
  path: string;
  type: FsNodeType;
  size: number;
  mode: number;
  linkname?: string;
  /** 1-based layer number as people count them (0: a folder no layer listed). */
  layer: number;
  hasChildren: boolean;
}

export interface LayerView {
  digest: string;
  size: number;
  mediaType: string;
  /** Where its bytes came from when it was last read. */
  source?: LayerSourceKind;
  /** The saved image tar it was read from, when source is "saved". */
  savedFile?: string;
}

/** A layer is read from an image tar this browser saved, its layer cache, or the network. */
export type LayerSourceKind = "network" | "cache" | "saved";

/** A saved image tar holding some of this image's layers that the worker may not read yet. */
export interface SavedFileWaiting {
  /** Its record's id in IndexedDB ("saved-files"), where the page finds the handle. */
  id: string;
  fileName: string;
}

export interface OpenedImage {
  reference: string;
  platform: Platform;
  digest: string;
  layers: LayerView[];
  entries: number;
  /** Bytes of every regular file (hardlinks counted once per name, as an export writes them). */
  fileBytes: number;
  /** A file name stem for exports, e.g. "ubuntu_22.04_linux_amd64". */
  baseName: string;
  /** Layers read from the network, from the cache and from saved files while opening. */
  fetchedLayers: number;
  cachedLayers: number;
  savedLayers: number;
  /** Saved files that hold layers of this image but need the person's permission to be read. */
  savedWaiting: SavedFileWaiting[];
}

export interface SearchResult {
  /** Matches and the folders that lead to them, sorted by path. */
  nodes: NodeView[];
  /** Paths of the matches among `nodes`. */
  matches: string[];
  total: number;
  truncated: boolean;
}

/** One file, or a folder ("" for everything) as a ZIP or a tar. */
export interface SaveWhat {
  kind: ExportKind;
  path: string;
}

/** Where a save goes: back to the page as a Blob, a picked file, or the service worker's stream. */
export type SaveTarget = { kind: "blob" } | { kind: "handle"; handle: FileSystemFileHandle } | { kind: "port"; port: MessagePort };

export interface SaveResult {
  bytes: number;
  entries: number;
  /** Layers read from the network for this save (0 when all came from the cache). */
  fetchedLayers: number;
  blob?: Blob;
}

export interface ExploreProgress {
  /** Layer being read (0-based) and how many there are; absent for exports. */
  layer?: number;
  layers?: number;
  source?: LayerSourceKind;
  savedFile?: string;
  done: number;
  total: number;
  entries: number;
}
