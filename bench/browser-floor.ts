// The browser's floor on the Worker's path: the least a page must do to save an image's
// layers verified, with nothing of dockerdl's in it. In the bench's headless Chromium, a
// page of its own (served here on 127.0.0.1) fetches every layer from the Worker in 64 MiB
// ranges, five at once (the PWA's connections), each read whole into a Blob, writes each
// Blob at its place in one OPFS file through File System Access (createWritable, as a
// picked file is written), and hashes the Blobs of each layer in order with hash-wasm's
// SHA-256 on a worker of its own, checking each digest. The fastest way this machine's
// Chromium was found to do each part: reading ranges piece by piece and writing 4 MiB
// runs reached 70–75 MB/s where Blobs reached 173–175 MB/s, without hashing; and fewer,
// larger ranges are faster (every request and every File System Access write has a cost
// of its own): by hand, for 640 MiB, 16 MiB ranges took 7.6–10.6 s, 32 MiB 6.8–7.5 s,
// 64 MiB 6.0–7.3 s and 128 MiB 6.0–7.1 s. So the PWA's time over this one is what its
// engine costs (resume, progress, retries, checks) and what its 16 MiB ranges cost.
//
// "fetch" mode is a reference, as `curl -o /dev/null` is for the CLI: the same ranges
// read whole into Blobs, five at once, checked for size and let go, nothing written and
// nothing hashed. A page that saves the layers this way is no faster than that.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { launchBenchBrowser } from "./cdp.ts";
import type { BenchImage } from "./image.ts";
import { root } from "./measure.ts";

const CHUNK = 64 << 20;
const CONNECTIONS = 5;

/** The page's worker: fetches, writes and hands Blobs to the hashing worker; answers the seconds taken or an error. */
const FLOOR_WORKER = `
self.onmessage = async (event) => {
  const { base, repository, layers, chunk, connections, fetchOnly } = event.data;
  try {
    const started = performance.now();
    const ranges = [];
    let offset = 0;
    for (const layer of layers) {
      for (let start = 0; start < layer.size; start += chunk) ranges.push({ layer, start, end: Math.min(layer.size, start + chunk), at: offset + start });
      offset += layer.size;
    }
    const fetchRange = async (r) => {
      const response = await fetch(base + "/v2/" + repository + "/blobs/" + r.layer.digest, { headers: { range: "bytes=" + r.start + "-" + (r.end - 1) } });
      const blob = await response.blob();
      if (blob.size !== r.end - r.start) throw new Error("range " + r.start + " of " + r.layer.digest + " came as " + blob.size + " bytes");
      return blob;
    };
    if (fetchOnly) {
      const lane = async () => {
        for (let r = ranges.shift(); r !== undefined; r = ranges.shift()) await fetchRange(r);
      };
      await Promise.all(Array.from({ length: connections }, lane));
      postMessage({ seconds: (performance.now() - started) / 1000 });
      return;
    }
    const total = layers.reduce((n, l) => n + l.size, 0);
    const root = await navigator.storage.getDirectory();
    const handle = await root.getFileHandle("floor.tar", { create: true });
    const file = await handle.createWritable();
    await file.truncate(total);
    const hasher = new Worker("/floor-hash.js");
    const digests = new Map();
    const verified = new Promise((resolve, reject) => {
      hasher.onmessage = (m) => {
        if (m.data.error) return reject(new Error(m.data.error));
        digests.set(m.data.digest, m.data.hex);
        if (digests.size === layers.length) resolve();
      };
    });
    hasher.postMessage({ layers });
    let writes = Promise.resolve();
    const lane = async () => {
      for (let r = ranges.shift(); r !== undefined; r = ranges.shift()) {
        const blob = await fetchRange(r);
        hasher.postMessage({ digest: r.layer.digest, start: r.start, blob });
        writes = writes.then(() => file.write({ type: "write", position: r.at, data: blob }));
        await writes;
      }
    };
    await Promise.all(Array.from({ length: connections }, lane));
    await file.close();
    await verified;
    for (const layer of layers) if ("sha256:" + digests.get(layer.digest) !== layer.digest) throw new Error(layer.digest + " hashed as " + digests.get(layer.digest));
    postMessage({ seconds: (performance.now() - started) / 1000 });
  } catch (error) {
    postMessage({ error: String(error) });
  }
};
`;

/** The hashing worker: each layer's Blobs hashed in order as they come. */
const HASH_WORKER = `
importScripts("/sha256.js");
const layers = new Map();
let queue = Promise.resolve();
self.onmessage = (event) => {
  queue = queue.then(async () => {
    const m = event.data;
    if (m.layers) {
      for (const l of m.layers) {
        const h = await hashwasm.createSHA256();
        h.init();
        layers.set(l.digest, { size: l.size, h, at: 0, waiting: new Map() });
        if (l.size === 0) postMessage({ digest: l.digest, hex: h.digest("hex") });
      }
      return;
    }
    const layer = layers.get(m.digest);
    layer.waiting.set(m.start, m.blob);
    let buffer = new ArrayBuffer(1 << 20);
    for (let blob = layer.waiting.get(layer.at); blob !== undefined; blob = layer.waiting.get(layer.at)) {
      layer.waiting.delete(layer.at);
      const reader = blob.stream().getReader({ mode: "byob" });
      for (;;) {
        const { done, value } = await reader.read(new Uint8Array(buffer));
        if (value) buffer = value.buffer;
        if (done) break;
        layer.h.update(value);
      }
      layer.at += blob.size;
      if (layer.at === layer.size) postMessage({ digest: m.digest, hex: layer.h.digest("hex") });
    }
  }).catch((error) => postMessage({ error: String(error) }));
};
`;

/**
 * Seconds the browser's floor took for `image`'s layers from the Worker at `base` (a
 * fresh browser profile); with "fetch", the page that only fetches them.
 */
export async function browserFloor(base: string, image: BenchImage, mode: "save" | "fetch" = "save"): Promise<number> {
  const sha256 = readFileSync(join(root, "node_modules", "hash-wasm", "dist", "sha256.umd.min.js"), "utf8");
  const pages: Record<string, string> = { "/": "<!doctype html><title>browser floor</title>", "/floor.js": FLOOR_WORKER, "/floor-hash.js": HASH_WORKER, "/sha256.js": sha256 };
  const server: Server = createServer((request, response) => {
    const page = pages[request.url ?? ""];
    response.writeHead(page === undefined ? 404 : 200, { "content-type": request.url === "/" ? "text/html" : "text/javascript" });
    response.end(page ?? "");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const browser = await launchBenchBrowser();
  try {
    await browser.send("Page.navigate", { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` });
    await browser.evaluate(`new Promise((resolve) => document.readyState === "complete" ? resolve() : addEventListener("load", resolve))`);
    const task = { base, repository: image.repository, layers: image.layers, chunk: CHUNK, connections: CONNECTIONS, fetchOnly: mode === "fetch" };
    const answer = await browser.evaluate<{ seconds?: number; error?: string }>(`new Promise((resolve) => {
      const worker = new Worker("/floor.js");
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => resolve({ error: event.message });
      worker.postMessage(${JSON.stringify(task)});
    })`);
    if (answer.seconds === undefined) throw new Error(`the browser floor (${mode}) failed: ${answer.error}`);
    return answer.seconds;
  } finally {
    await browser.close();
    server.close();
  }
}
