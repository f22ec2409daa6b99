// The streamed download of an explorer save (a file, a folder ZIP, the flattened
// filesystem as ZIP or tar) for browsers without showSaveFilePicker: the page gives
// this worker a MessagePort whose other end the explore worker writes into, then
// navigates a hidden iframe to EXPORT_STREAM_PATH + id. The response pulls one chunk
// per read, so memory stays bounded whatever the export's size.
import { EXPORT_STREAM_PATH, type PortStreamMessage } from "../lib/export-stream.ts";

/** A save to stream: its id in the URL, the file's name and type, and the port its bytes come over. */
export interface PortStream {
  id: string;
  fileName: string;
  contentType: string;
  port: MessagePort;
}

const prepared = new Map<string, PortStream>();

export function preparePortStream(stream: PortStream): void {
  prepared.set(stream.id, stream);
}

export function portStreamId(url: URL): string | undefined {
  return url.pathname.startsWith(EXPORT_STREAM_PATH) ? decodeURIComponent(url.pathname.slice(EXPORT_STREAM_PATH.length)) : undefined;
}

export function portStreamResponse(id: string): Response {
  const entry = prepared.get(id);
  prepared.delete(id);
  if (!entry) return new Response(null, { status: 204 });
  const { port, fileName, contentType } = entry;
  const queue: PortStreamMessage[] = [];
  let waiting: ((message: PortStreamMessage) => void) | undefined;
  port.onmessage = (event: MessageEvent<PortStreamMessage>) => {
    if (waiting) {
      waiting(event.data);
      waiting = undefined;
    } else queue.push(event.data);
  };
  const next = () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise<PortStreamMessage>((resolve) => (waiting = resolve)));
  const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
    async pull(controller) {
      port.postMessage({ kind: "pull" } satisfies PortStreamMessage);
      const message = await next();
      if (message.kind === "chunk") controller.enqueue(message.bytes as Uint8Array<ArrayBuffer>);
      else if (message.kind === "end") {
        controller.close();
        port.close();
      } else if (message.kind === "error") {
        // An errored body tells the browser the download failed: no truncated file looks complete.
        controller.error(new Error(message.message));
        port.close();
      }
    },
    cancel() {
      port.postMessage({ kind: "cancel" } satisfies PortStreamMessage);
      port.close();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": contentType,
      "content-disposition": `attachment; filename="${fileName.replace(/[^\x20-\x7e]|"/g, "_")}"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
      "cache-control": "no-store",
    },
  });
}
