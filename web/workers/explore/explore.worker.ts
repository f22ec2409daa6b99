// The explore view's dedicated worker: it resolves the image, reads every layer
// (cache or verified fetch, decompress, tar headers) into the merged filesystem, answers
// the tree's questions, and writes saves: one file, a folder as a ZIP, the whole
// flattened filesystem as a ZIP or a tar. This file wires messages to those modules.
import { DockerdlError } from "../../../shared/errors.ts";
import { flatTar, flattenLayers, type FlatItem, type LayerEntries } from "../../../shared/flatten.ts";
import { familiarName, parseReference, defaultFileName } from "../../../shared/reference.ts";
import { MergedFs, normalizeTarPath } from "../../../shared/rootfs.ts";
import type { TarReadEntry } from "../../../shared/tar-reader.ts";
import { lookUp, proxyClient } from "../../lib/image-lookup.ts";
import { errorInfoOf } from "../../lib/errors.ts";
import { LayerSource, checkLayersReadable, newStats, type LayerOrigin } from "./layer-source.ts";
import { savedMismatch } from "./saved-layers.ts";
import { contentTypeOf } from "../../lib/export-stream.ts";
import type { ExploreEvent, ExploreRequest, OpenedImage, SaveResult, SaveTarget, SaveWhat } from "./protocol.ts";
import { openOutput, writeAll } from "./sinks.ts";
import { TreeIndex, within } from "./tree-index.ts";
import { writeFlatZip } from "./zip-export.ts";

declare const self: DedicatedWorkerGlobalScope;

interface Session {
  source: LayerSource;
  tree: TreeIndex;
  opened: OpenedImage;
}

let session: Session | undefined;
const running = new Map<string, AbortController>();
const post = (event: ExploreEvent, transfer: Transferable[] = []) => self.postMessage(event, transfer);

self.addEventListener("message", (message: MessageEvent<ExploreRequest>) => {
  const request = message.data;
  if (request.kind === "cancel") {
    running.get(request.id)?.abort(new DockerdlError("CANCELLED", "stopped"));
    return;
  }
  const controller = new AbortController();
  running.set(request.id, controller);
  void answer(request.id, () => handle(request, controller.signal)).finally(() => running.delete(request.id));
});

async function answer(id: string, work: () => Promise<unknown>): Promise<void> {
  try {
    post({ kind: "result", id, ok: true, value: await work() });
  } catch (error) {
    post({ kind: "result", id, ok: false, error: errorInfoOf(error) });
  }
}

function current(): Session {
  if (!session) throw new DockerdlError("NOT_OPEN", "no image is open", { hint: "open an image first" });
  return session;
}

async function handle(request: Exclude<ExploreRequest, { kind: "cancel" }>, signal: AbortSignal): Promise<unknown> {
  switch (request.kind) {
    case "overview":
      return lookUp(proxyClient(request.credentials), parseReference(request.reference), signal);
    case "open":
      return openImage(request.id, request.reference, request.platform, request.credentials, signal);
    case "children":
      return current().tree.children(normalizeTarPath(request.path));
    case "search":
      return current().tree.search(request.query, request.limit);
    case "save":
      return save(request.id, request.what, request.target, signal);
  }
}

/** Progress at most every 100 ms, and always the last one. */
function throttled(send: () => void): (force?: boolean) => void {
  let last = 0;
  return (force = false) => {
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    send();
  };
}

async function openImage(id: string, reference: string, platform: Extract<ExploreRequest, { kind: "open" }>["platform"], credentials: Extract<ExploreRequest, { kind: "open" }>["credentials"], signal: AbortSignal): Promise<OpenedImage> {
  const client = proxyClient(credentials);
  const ref = parseReference(reference);
  const image = await client.resolveImage(ref, platform, { signal });
  checkLayersReadable(image);
  const source = new LayerSource(client, image);
  const fs = new MergedFs();
  const total = image.layers.reduce((sum, l) => sum + l.size, 0);
  const stats = newStats();
  const layers: OpenedImage["layers"] = image.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType }));
  let entries = 0;
  let layerIndex = 0;
  let origin: LayerOrigin | undefined;
  const progress = throttled(() =>
    post({
      kind: "progress", id, layer: layerIndex, layers: image.layers.length, done: stats.bytes, total, entries,
      ...(origin ? { source: origin.source } : {}), ...(origin?.source === "saved" ? { savedFile: origin.fileName } : {}),
    }),
  );
  const noted = (o: LayerOrigin) => {
    origin = o;
    const view = layers[layerIndex];
    view.source = o.source;
    if (o.source === "saved") view.savedFile = o.fileName;
    else delete view.savedFile;
  };
  for (layerIndex = 0; layerIndex < image.layers.length; layerIndex++) {
    const before = { entries, bytes: stats.bytes };
    for (;;) {
      const headers: TarReadEntry[] = [];
      try {
        for await (const item of source.items(layerIndex, stats, signal, noted)) {
          headers.push(item.entry);
          entries++;
          progress();
        }
      } catch (error) {
        // A saved file that no longer holds the layer is forgotten: read it again elsewhere.
        if (signal.aborted || !savedMismatch(error)) throw error;
        stats.saved--;
        entries = before.entries;
        stats.bytes = before.bytes;
        continue;
      }
      fs.applyLayer(layerIndex, headers);
      break;
    }
    progress(true);
  }
  await source.settled();
  const tree = new TreeIndex(fs);
  const opened: OpenedImage = {
    reference: familiarName(ref),
    platform: image.platform,
    digest: image.manifest.digest,
    layers,
    entries: tree.entries,
    fileBytes: tree.fileBytes,
    baseName: defaultFileName(ref, image.platform).replace(/\.tar$/, ""),
    fetchedLayers: stats.fetched,
    cachedLayers: stats.cached,
    savedLayers: stats.saved,
    savedWaiting: [...source.saved.waiting.values()],
  };
  session = { source, tree, opened };
  return opened;
}

async function save(id: string, what: SaveWhat, target: SaveTarget, signal: AbortSignal): Promise<SaveResult> {
  const { source, tree } = current();
  const root = normalizeTarPath(what.path);
  const node = tree.get(root);
  if (!node) throw new DockerdlError("NOT_FOUND", `${root || "/"} is not in this image`, { hint: "pick it from the tree again" });
  const stats = newStats();
  const output = await openOutput(target, contentTypeOf(what.kind), signal);
  let done = 0;
  let entries = 0;
  const total = what.kind === "file" ? node.size : tree.bytesUnder(root, what.kind === "zip");
  const progress = throttled(() => post({ kind: "progress", id, done, total, entries }));
  const count = async function* (chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of chunks) {
      done += chunk.length;
      progress();
      yield chunk;
    }
  };
  // A hardlink's data is its target's, read from the layer the target comes from.
  const readFile = (path: string): AsyncIterable<Uint8Array> | undefined => {
    const target = tree.get(path);
    if (target?.type !== "file") return undefined;
    return count(source.file(target.layer, target.path, stats, signal));
  };

  if (what.kind === "file") {
    const data = node.type === "hardlink" && node.linkname ? readFile(node.linkname) : node.type === "file" ? count(source.file(node.layer, node.path, stats, signal)) : undefined;
    if (!data) {
      await output.stream.abort().catch(() => {});
      throw new DockerdlError("NOT_A_FILE", `${root} is a ${node.type}, not a file`, { hint: "download its folder instead" });
    }
    await writeAll(data, output.stream);
    entries = 1;
  } else {
    const layerCount = source.image.layers.length;
    async function* topDown(): AsyncGenerator<LayerEntries> {
      for (let index = layerCount - 1; index >= 0; index--) yield { index, items: source.items(index, stats, signal) };
    }
    async function* selected(): AsyncGenerator<FlatItem> {
      for await (const item of flattenLayers(topDown())) {
        if (!within(item.path, root)) continue;
        entries++;
        yield { ...item, body: () => count(item.body()) };
      }
    }
    if (what.kind === "zip") {
      await writeFlatZip(selected(), output.stream, { signal, readFile });
    } else {
      await writeAll(flatTar(selected()), output.stream);
    }
  }
  progress(true);
  const result: SaveResult = { bytes: output.bytes(), entries, fetchedLayers: stats.fetched };
  const blob = output.blob();
  if (blob) result.blob = blob;
  return result;
}
