// Small HTTP plumbing the zoo's servers share: listening on one loopback address,
// answering the spec's error shape, and relaying a backing-registry answer (blob bodies
// counted, optionally throttled, cut part way, sent chunked without Content-Length, or
// whole whatever Range was asked).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { ZooLogEntry, ZooState } from "./state.ts";

export interface Listening {
  url: string;
  stop(): Promise<void>;
}

/** `opened`: told of each connection; what it returns is called when that connection closes. */
export async function listen(address: string, handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>, opened?: () => () => void): Promise<Listening> {
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  if (opened) server.on("connection", (socket) => socket.once("close", opened()));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, address, resolve);
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${address}:${port}`,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export function specError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ errors: [{ code, message, detail: null }] }));
}

export function logEntry(state: ZooState, member: string, role: string, req: IncomingMessage): ZooLogEntry {
  const entry: ZooLogEntry = { member, role, method: req.method ?? "GET", path: req.url ?? "/", status: 0, authorization: req.headers.authorization !== undefined, bytes: 0 };
  state.log.push(entry);
  return entry;
}

export interface RelayOptions {
  /** Headers of the backing answer to pass on. */
  keep: string[];
  /** Count body bytes into `entry` (blobs). */
  entry?: ZooLogEntry;
  chunked?: boolean;
  throttle?: () => number;
  /** Destroys the connection once this many body bytes are sent. */
  cutAfter?: number;
  /** Asks the backing registry for the whole blob whatever the Range, and says nothing of ranges. */
  ignoreRange?: boolean;
  /** Last changes to the headers before they are sent. */
  adjust?: (headers: Record<string, string>) => void;
}

/** Asks the backing registry and passes its answer on. */
export async function relayBackend(url: string, req: IncomingMessage, res: ServerResponse, options: RelayOptions): Promise<number> {
  const headers: Record<string, string> = {};
  for (const name of options.ignoreRange ? ["accept"] : ["accept", "range"]) {
    const value = req.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  const method = req.method === "HEAD" ? "HEAD" : "GET";
  const answer = await fetch(url, { method, headers });
  const out: Record<string, string> = {};
  for (const name of options.keep) {
    const value = answer.headers.get(name);
    if (value !== null) out[name] = value;
  }
  if (options.chunked) delete out["content-length"];
  if (options.ignoreRange) delete out["accept-ranges"];
  options.adjust?.(out);
  res.writeHead(answer.status, out);
  if (method === "HEAD" || answer.body === null) {
    await answer.body?.cancel();
    res.end();
    return answer.status;
  }
  let sent = 0;
  for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>) {
    const rate = options.throttle?.() ?? 0;
    for (let at = 0; at < chunk.length; at += 16 << 10) {
      const slice = chunk.subarray(at, Math.min(chunk.length, at + (16 << 10)));
      if (rate > 0) await simulatedNetwork((slice.length / rate) * 1000);
      if (options.cutAfter !== undefined && sent >= options.cutAfter) res.destroy();
      if (res.destroyed) return answer.status;
      sent += slice.length;
      if (!res.write(slice)) await drained(res);
      if (options.entry) options.entry.bytes += slice.length;
    }
  }
  res.end();
  return answer.status;
}

/** Resolves when `res` takes more data, or when the client has gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
  });
}

/** Deliberate: a slow network the test asked for, not a wait for an effect. */
function simulatedNetwork(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
