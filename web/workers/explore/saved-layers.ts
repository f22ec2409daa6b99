// Layers this browser has already written into an image tar saved through File System
// Access (finished, or unfinished with the layer verified at the last commit): the
// download worker records each saved file's handle and every layer's offset in it
// (web/lib/db.ts, "saved-files"). Reading one is a slice of the file, hashed as it
// streams (and hashed whole before use when it changed since it was last read here).
// A file that is gone, shorter than the record says, or whose bytes do not hash
// to the digest loses its record; one this worker may not read (permission "prompt",
// which only the page can ask for, in a click) is reported so the page can offer to ask.
import { createSHA256 } from "hash-wasm";
import { DockerdlError } from "../../../shared/errors.ts";
import { verifiedStream } from "../../../shared/verify.ts";
import { deleteSavedFile, loadSavedFile, recordSavedFile, savedFilesWith, type SavedFile } from "../../lib/db.ts";

type PermissionHandle = FileSystemFileHandle & { queryPermission?(descriptor: { mode: "read" | "readwrite" }): Promise<PermissionState> };

export interface SavedRead {
  stream: ReadableStream<Uint8Array>;
  record: SavedFile;
}

/** A saved file the worker may not read yet: the page can ask the person. */
export interface SavedWaiting {
  id: string;
  fileName: string;
}

/** The error a saved layer's stream ends with when its bytes are not the digest's. */
export const SAVED_MISMATCH = "SAVED_FILE_CHANGED";

export class SavedLayers {
  /** Saved files already found unusable in this session (by record id and digest). */
  readonly #bad = new Set<string>();
  /** The file's lastModified when each (record id, digest) last hashed right in this session. */
  readonly #checked = new Map<string, number>();
  readonly waiting = new Map<string, SavedWaiting>();

  /** The layer from a saved file, or undefined when no saved file can give it now. */
  async open(digest: string, size: number): Promise<SavedRead | undefined> {
    let records: SavedFile[];
    try {
      records = await savedFilesWith(digest);
    } catch {
      return undefined;
    }
    const waiting: SavedWaiting[] = [];
    for (const record of records) {
      if (this.#bad.has(`${record.id} ${digest}`)) continue;
      const layer = record.layers.find((l) => l.digest === digest);
      if (!layer || layer.size !== size) continue;
      const handle = record.handle as PermissionHandle;
      const permission = await handle.queryPermission?.({ mode: "read" }).catch(() => "denied" as const);
      if (permission === "prompt") {
        waiting.push({ id: record.id, fileName: record.fileName });
        continue;
      }
      if (permission === "denied") continue;
      let file: File;
      try {
        file = await handle.getFile();
      } catch (error) {
        // Not allowed (the page may ask the person): keep it. Gone (moved, deleted): stale.
        if (error instanceof DOMException && (error.name === "NotAllowedError" || error.name === "SecurityError")) {
          waiting.push({ id: record.id, fileName: record.fileName });
          continue;
        }
        await this.drop(record, digest);
        continue;
      }
      if (file.size < layer.offset + layer.size || (record.complete && file.size !== record.totalSize)) {
        await this.drop(record, digest);
        continue;
      }
      const key = `${record.id} ${digest}`;
      const slice = () => file.slice(layer.offset, layer.offset + layer.size).stream();
      const checked = this.#checked.get(key);
      // Read before in this session, but the file has changed since (an unfinished
      // download committed more, or something else wrote it): hash it whole first, so a
      // reader that stops early (one file of the layer) never gets unverified bytes.
      if (checked !== undefined && checked !== file.lastModified) {
        const ok = await drain(verified(slice(), digest, size, () => {})).then(() => true, () => false);
        if (!ok) {
          await this.drop(record, digest);
          continue;
        }
      }
      const stream = verified(slice(), digest, size, () => void this.drop(record, digest), () => this.#checked.set(key, file.lastModified));
      return { stream, record };
    }
    for (const w of waiting) this.waiting.set(w.id, w);
    return undefined;
  }

  /** Forgets that `record` holds `digest` (and the whole record when nothing is left). */
  async drop(record: SavedFile, digest: string): Promise<void> {
    this.#bad.add(`${record.id} ${digest}`);
    try {
      const now = await loadSavedFile(record.id);
      if (!now) return;
      const verified = now.verified.filter((d) => d !== digest);
      if (verified.length === 0) await deleteSavedFile(record.id);
      else await recordSavedFile({ ...now, verified, complete: false });
    } catch {
      // the record stays; the next read checks it again
    }
  }
}

/** `source` hashed as it streams: it errors at the end (or early) unless it is the digest's bytes. */
function verified(source: ReadableStream<Uint8Array>, digest: string, size: number, onMismatch: () => void, onMatch?: () => void): ReadableStream<Uint8Array> {
  return verifiedStream(source, { digest, size }, createSHA256, {
    onMatch,
    onMismatch: (mismatch) => {
      onMismatch();
      return new DockerdlError(SAVED_MISMATCH, `the saved file no longer holds layer ${digest} (${mismatch.problem})`);
    },
  });
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<void> {
  const reader = stream.getReader();
  while (!(await reader.read()).done) {
    // hashed on the way
  }
}

/** Whether `error` says a saved layer turned out wrong (so the layer is read again elsewhere). */
export function savedMismatch(error: unknown): boolean {
  return error instanceof DockerdlError && error.code === SAVED_MISMATCH;
}
