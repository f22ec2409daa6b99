// Writes an image's flattened filesystem (shared/flatten.ts) as a ZIP, streamed: each
// file's data flows from the layer stream through zip.js into the output stream, so
// memory stays bounded whatever the image's size. Zip64 is always on, so entries and
// archives over 4 GiB work. Unix modes and symlinks are recorded the way Info-ZIP's
// unzip restores them; ZIP has no hardlinks, so a hardlink becomes a copy of its target
// (when the caller can read the target again) or a relative symlink.
import { configure, ZipWriter } from "@zip.js/zip.js";
import type { FlatItem } from "../../../shared/flatten.ts";
import { normalizeTarPath } from "../../../shared/rootfs.ts";

configure({ useWebWorkers: false });

const S_IFLNK = 0o120000;
const S_IFREG = 0o100000;

export interface ZipExportOptions {
  signal?: AbortSignal;
  /** Compression level 0–9; 0 stores. Binaries compress poorly, so the default is fast. */
  level?: number;
  /** Reads a file already written, to materialise a hardlink to it. */
  readFile?: (path: string) => AsyncIterable<Uint8Array> | undefined;
  onEntry?: (path: string, bytesSoFar: number) => void;
}

export interface ZipExportResult {
  entries: number;
  bytesIn: number;
}

function toStream(chunks: AsyncIterable<Uint8Array>, count: (n: number) => void): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else {
        count(next.value.length);
        controller.enqueue(next.value);
      }
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

function relativeLink(from: string, to: string): string {
  const fromParts = from.split("/").slice(0, -1);
  const toParts = to.split("/");
  let common = 0;
  while (common < fromParts.length && common < toParts.length - 1 && fromParts[common] === toParts[common]) common++;
  return [...fromParts.slice(common).map(() => ".."), ...toParts.slice(common)].join("/") || ".";
}

export async function writeFlatZip(items: AsyncIterable<FlatItem>, output: WritableStream<Uint8Array>, options: ZipExportOptions = {}): Promise<ZipExportResult> {
  const writer = new ZipWriter(output, { zip64: true, level: options.level ?? 1, msDosCompatible: false, signal: options.signal });
  let entries = 0;
  let bytesIn = 0;
  // A hardlink shares its target's inode, so it takes the target's mode.
  const fileModes = new Map<string, number>();
  const count = (n: number) => {
    bytesIn += n;
  };
  try {
    for await (const item of items) {
      options.signal?.throwIfAborted();
      const { entry } = item;
      const lastModDate = new Date(Math.max(0, entry.mtime) * 1000 || Date.UTC(1980, 0, 1));
      const common = { lastModDate, uid: entry.uid, gid: entry.gid };
      if (entry.type === "directory") {
        await writer.add(`${item.path}/`, undefined, { ...common, directory: true, unixMode: entry.mode });
      } else if (entry.type === "symlink") {
        await writer.add(item.path, toStream(once(new TextEncoder().encode(entry.linkname)), count), { ...common, unixMode: S_IFLNK | 0o777, level: 0 });
      } else if (entry.type === "hardlink") {
        const target = normalizeTarPath(entry.linkname);
        const data = options.readFile?.(target);
        if (data) await writer.add(item.path, toStream(data, count), { ...common, unixMode: S_IFREG | (fileModes.get(target) ?? entry.mode) });
        else await writer.add(item.path, toStream(once(new TextEncoder().encode(relativeLink(item.path, target))), count), { ...common, unixMode: S_IFLNK | 0o777, level: 0 });
      } else if (entry.type === "file") {
        fileModes.set(item.path, entry.mode);
        await writer.add(item.path, toStream(item.body(), count), { ...common, unixMode: S_IFREG | entry.mode });
      } else {
        continue; // devices and fifos have no place in a ZIP
      }
      entries++;
      options.onEntry?.(item.path, bytesIn);
    }
    await writer.close();
  } catch (error) {
    await output.abort(error).catch(() => {});
    throw error;
  }
  return { entries, bytesIn };
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}
