// Where an explorer save is written, as a WritableStream: into memory for a Blob (small
// files and folders), a file picked with showSaveFilePicker (its writable stream), or a
// MessagePort the service worker pulls from to answer a streamed download (browsers
// without the picker). Each counts the bytes that went through.
import type { PortStreamMessage } from "../../lib/export-stream.ts";
import type { SaveTarget } from "./types.ts";

export interface Output {
  stream: WritableStream<Uint8Array>;
  bytes(): number;
  /** The Blob, for a blob target, once the stream is closed. */
  blob(): Blob | undefined;
}

export async function openOutput(target: SaveTarget, contentType: string, signal: AbortSignal): Promise<Output> {
  let inner: WritableStream<Uint8Array>;
  let parts: BlobPart[] | undefined;
  if (target.kind === "blob") {
    const kept: BlobPart[] = [];
    parts = kept;
    inner = new WritableStream({ write: (chunk) => void kept.push(chunk.slice()) });
  } else if (target.kind === "handle") {
    inner = (await target.handle.createWritable()) as WritableStream<Uint8Array>;
  } else {
    inner = portWritable(target.port, signal);
  }
  let count = 0;
  let closed = false;
  const writer = inner.getWriter();
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      count += chunk.length;
      await writer.write(chunk);
    },
    async close() {
      await writer.close();
      closed = true;
    },
    async abort(reason) {
      await writer.abort(reason).catch(() => {});
    },
  });
  return {
    stream,
    bytes: () => count,
    blob: () => (parts && closed ? new Blob(parts, { type: contentType }) : undefined),
  };
}

/**
 * The explore worker's end of a streamed download: one chunk per pull from the service
 * worker, so nothing piles up whatever the export's size. A cancelled download (the
 * person stopped it in the browser) aborts the export through `onCancel`.
 */
function portWritable(port: MessagePort, signal: AbortSignal): WritableStream<Uint8Array> {
  let demand = 0;
  let cancelled = false;
  let wake: (() => void) | undefined;
  port.onmessage = (event: MessageEvent<PortStreamMessage>) => {
    if (event.data.kind === "pull") demand++;
    if (event.data.kind === "cancel") cancelled = true;
    wake?.();
  };
  signal.addEventListener("abort", () => wake?.(), { once: true });
  const post = (message: PortStreamMessage, transfer: Transferable[] = []) => port.postMessage(message, transfer);
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      while (demand === 0 && !cancelled && !signal.aborted) await new Promise<void>((resolve) => (wake = resolve));
      if (cancelled) throw new DOMException("the download was cancelled in the browser", "AbortError");
      signal.throwIfAborted();
      demand--;
      // A copy (the writer may reuse the chunk's buffer), handed over rather than cloned again.
      const bytes = chunk.slice();
      post({ kind: "chunk", bytes }, [bytes.buffer]);
    },
    close() {
      post({ kind: "end" });
      port.close();
    },
    abort(reason) {
      post({ kind: "error", message: reason instanceof Error ? reason.message : String(reason) });
      port.close();
    },
  });
}

/** Writes chunks to a stream, closing it at the end or aborting it on failure. */
export async function writeAll(chunks: AsyncIterable<Uint8Array>, out: WritableStream<Uint8Array>): Promise<void> {
  const writer = out.getWriter();
  try {
    for await (const chunk of chunks) await writer.write(chunk);
    await writer.close();
  } catch (error) {
    await writer.abort(error).catch(() => {});
    throw error;
  }
}
