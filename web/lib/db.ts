// The app's IndexedDB (via idb): unfinished downloads (engine state and the file
// handle, so a reload or a crash can resume), the history of finished downloads, and
// credentials a person asked to remember on this device. Used by the page and workers.

import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import type { EngineState } from "../../shared/engine/index.ts";
import type { Platform } from "../../shared/platform.ts";
import type { Credentials } from "./image-lookup.ts";

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
}

interface Schema extends DBSchema {
  jobs: { key: string; value: UnfinishedJob };
  history: { key: string; value: HistoryEntry; indexes: { finishedAt: number } };
  credentials: { key: string; value: Credentials & { registry: string } };
}

let db: Promise<IDBPDatabase<Schema>> | undefined;

export function openAppDB(): Promise<IDBPDatabase<Schema>> {
  db ??= openDB<Schema>("dockerdl", 1, {
    upgrade(database) {
      database.createObjectStore("jobs", { keyPath: "id" });
      database.createObjectStore("history", { keyPath: "id" }).createIndex("finishedAt", "finishedAt");
      database.createObjectStore("credentials", { keyPath: "registry" });
    },
  });
  return db;
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
