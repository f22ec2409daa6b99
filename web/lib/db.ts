// The app's IndexedDB (via idb): unfinished downloads (engine state and the file
// handle, so a reload or a crash can resume), the history of finished downloads, and
// credentials a person asked to remember on this device, and the image files saved
// through File System Access with where each layer sits in them (so the explorer can
// read a layer from disk instead of fetching it again). Used by the page and workers.

import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { EngineState } from "../../shared/engine/index.ts";
import type { Platform } from "../../shared/platform.ts";
import type { Credentials } from "./image-lookup.ts";
import type { BundleImage } from "./protocol.ts";

export interface UnfinishedJob {
  id: string;
  reference: string;
  platform: Platform;
  /** What the reference resolved to (index or manifest): a resume fetches the same image. */
  pinnedDigest: string;
  fileName: string;
  totalSize: number;
  /** Bytes the committed state covers, for the list of unfinished downloads. */
  doneBytes: number;
  handle: FileSystemFileHandle;
  /** The engine's state as of the file's last commit; absent before the first. */
  state?: EngineState;
  registry: string;
  updatedAt: number;
  /** A bundle's images, each pinned with its platform; `reference` then joins their names. */
  bundle?: BundleImage[];
}

export interface HistoryEntry {
  id: string;
  reference: string;
  platform: Platform;
  digest: string;
  size: number;
  fileName: string;
  finishedAt: number;
  via: "file" | "stream";
  /** A bundle's images (then `reference` joins their names, `platform` and `digest` are the first's). */
  bundle?: (BundleImage & { digest: string })[];
}

/** Where one layer's compressed bytes sit in a saved image tar (from the plan). */
export interface SavedLayer {
  digest: string;
  offset: number;
  size: number;
}

/**
 * An image tar written through File System Access, finished or not, keyed by its job's
 * id. Only `verified` layers are known to be in the file (all of them once complete);
 * a reader still checks each layer's sha256, since the file may have changed since.
 */
export interface SavedFile {
  id: string;
  fileName: string;
  handle: FileSystemFileHandle;
  reference: string;
  platform: Platform;
  /** The platform's manifest digest: what the file contains. */
  manifestDigest: string;
  totalSize: number;
  layers: SavedLayer[];
  /** Digests of the layers whose bytes the last commit holds, verified by the engine. */
  verified: string[];
  complete: boolean;
  updatedAt: number;
}

interface Schema extends DBSchema {
  jobs: { key: string; value: UnfinishedJob };
  history: { key: string; value: HistoryEntry; indexes: { finishedAt: number } };
  credentials: { key: string; value: Credentials & { registry: string } };
  "saved-files": { key: string; value: SavedFile; indexes: { digest: string } };
}

let db: Promise<IDBPDatabase<Schema>> | undefined;

function openAppDB(): Promise<IDBPDatabase<Schema>> {
  // Version 2 added "saved-files"; stores of version 1 are kept as they are.
  db ??= openDB<Schema>("dockerdl", 2, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) {
        database.createObjectStore("jobs", { keyPath: "id" });
        database.createObjectStore("history", { keyPath: "id" }).createIndex("finishedAt", "finishedAt");
        database.createObjectStore("credentials", { keyPath: "registry" });
      }
      if (oldVersion < 2) {
        database.createObjectStore("saved-files", { keyPath: "id" }).createIndex("digest", "verified", { multiEntry: true });
      }
    },
    // A newer version in another tab waits for this one: let it go, and reopen next time.
    blocking() {
      void db?.then((open) => open.close());
      db = undefined;
    },
  });
  return db;
}

/** Records (or updates) a saved file; another record for the same file on disk is dropped. */
export async function recordSavedFile(file: SavedFile): Promise<void> {
  const database = await openAppDB();
  const known = (await database.getKey("saved-files", file.id)) !== undefined;
  for (const other of known ? [] : await database.getAll("saved-files")) {
    const same = await other.handle.isSameEntry(file.handle).catch(() => false);
    if (same) await database.delete("saved-files", other.id);
  }
  await database.put("saved-files", file);
}

/** Saved files whose verified layers include `digest`, most recently updated first. */
export async function savedFilesWith(digest: string): Promise<SavedFile[]> {
  const found = await (await openAppDB()).getAllFromIndex("saved-files", "digest", digest);
  return found.sort((a, b) => b.updatedAt - a.updatedAt);
}

export async function listSavedFiles(): Promise<SavedFile[]> {
  return (await openAppDB()).getAll("saved-files");
}

export async function loadSavedFile(id: string): Promise<SavedFile | undefined> {
  return (await openAppDB()).get("saved-files", id);
}

export async function deleteSavedFile(id: string): Promise<void> {
  await (await openAppDB()).delete("saved-files", id);
}

export async function saveJob(job: UnfinishedJob): Promise<void> {
  await (await openAppDB()).put("jobs", job);
}

export async function loadJob(id: string): Promise<UnfinishedJob | undefined> {
  return (await openAppDB()).get("jobs", id);
}

export async function listJobs(): Promise<UnfinishedJob[]> {
  return (await openAppDB()).getAll("jobs");
}

export async function deleteJob(id: string): Promise<void> {
  await (await openAppDB()).delete("jobs", id);
}

export async function addHistory(entry: HistoryEntry): Promise<void> {
  await (await openAppDB()).put("history", entry);
}

export async function listHistory(): Promise<HistoryEntry[]> {
  return (await (await openAppDB()).getAllFromIndex("history", "finishedAt")).reverse();
}

export async function deleteHistory(id: string): Promise<void> {
  await (await openAppDB()).delete("history", id);
}

export async function rememberCredentials(registry: string, credentials: Credentials): Promise<void> {
  await (await openAppDB()).put("credentials", { registry, ...credentials });
}

export async function rememberedCredentials(registry: string): Promise<Credentials | undefined> {
  const found = await (await openAppDB()).get("credentials", registry);
  return found && { username: found.username, password: found.password };
}

export async function forgetCredentials(registry?: string): Promise<void> {
  const database = await openAppDB();
  if (registry === undefined) await database.clear("credentials");
  else await database.delete("credentials", registry);
}
