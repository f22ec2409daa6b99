// A loopback HTTP relay in front of a real server (the registry, the Worker), for
// fault injection and network simulation: it can reset, truncate or stall a response part way,
// flip a byte, answer 5xx or 429 instead of forwarding, cap each connection's and the
// total throughput, add latency, and count the body bytes it delivers per path.
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export type RelayFault =
  /** Sends `afterBytes` of the body, then resets the connection (RST). */
  | { kind: "reset"; afterBytes: number }
  /** Sends `afterBytes` of the body, then closes the connection cleanly short of Content-Length. */
  | { kind: "truncate"; afterBytes: number }
  /** Sends `afterBytes` of the body, then nothing more, the connection left open until the client closes it. */
  | { kind: "stall"; afterBytes: number }
  /** Forwards everything but flips the byte at `atByte` of the body. */
  | { kind: "corrupt"; atByte: number }
  /** Answers this status instead of forwarding (e.g. 503, or 429 with Retry-After seconds). */
  | { kind: "status"; status: number; retryAfter?: string };

export interface RelayRequest {
  method: string;
  path: string;
  range?: string;
  /** How many requests the relay has seen before this one. */
  index: number;
}

export interface RelayShaping {
  /** Bytes per second per connection; 0 or absent for none. */
  perConnection?: number;
  /** Bytes per second over all connections together. */
  aggregate?: number;
  /** Added before each request is forwarded, like a round trip. */
  latencyMs?: number;
  /** Added once more before the first request of each new connection, like TCP's handshake. */
  connectMs?: number;
}

export interface RelayLogEntry {
  method: string;
  path: string;
  range?: string;
  status: number;
  fault?: RelayFault["kind"];
  /** Body bytes delivered to the client. */
  bytes: number;
}

export interface Relay {
  url: string;
  /** Decides a fault per request; replace it between tests. */
  fault: (request: RelayRequest) => RelayFault | undefined;
  shaping: RelayShaping;
  log: RelayLogEntry[];
  /** Body bytes delivered for paths containing `fragment` (e.g. a blob digest). */
  bytesFor(fragment: string): number;
  reset(): void;
  stop(): Promise<void>;
}

const SLICE = 16 * 1024;

class Bucket {
  #next = 0;
  /** When `bytes` may be sent at `rate` bytes/s, given what was sent before. */
  take(bytes: number, rate: number, now: number): number {
    // A small burst allowance keeps timer granularity from eating throughput.
    this.#next = Math.max(this.#next, now - 50) + (bytes / rate) * 1000;
    return this.#next;
  }
}

export async function startRelay(target: string, options: { shaping?: RelayShaping } = {}): Promise<Relay> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const aggregate = new Bucket();
  const perSocket = new WeakMap<Socket, Bucket>();
  const sockets = new Set<Socket>();
  /** Connections that have carried a request: a new one pays connectMs first. */
  const opened = new WeakSet<Socket>();
  let seen = 0;

  const relay: Relay = {
    url: "",
    fault: () => undefined,
    shaping: options.shaping ?? {},
    log: [],
    bytesFor(fragment) {
      return relay.log.filter((e) => e.path.includes(fragment)).reduce((n, e) => n + e.bytes, 0);
    },
    reset() {
      relay.log = [];
      relay.fault = () => undefined;
    },
    stop: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? "/";
    const range = req.headers.range;
    const fault = relay.fault({ method: req.method ?? "GET", path, ...(range ? { range } : {}), index: seen++ });
    const entry: RelayLogEntry = { method: req.method ?? "GET", path, status: 0, bytes: 0, ...(range ? { range } : {}), ...(fault ? { fault: fault.kind } : {}) };
    relay.log.push(entry);
    const fresh = !opened.has(req.socket);
    opened.add(req.socket);
    const latency = (relay.shaping.latencyMs ?? 0) + (fresh ? (relay.shaping.connectMs ?? 0) : 0);
    if (latency > 0) await delay(latency);
    if (fault?.kind === "status") {
      entry.status = fault.status;
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
      // Readable from a page of another origin, as a dockerdl Worker's own error answers are.
      if (req.headers.origin !== undefined) headers["access-control-allow-origin"] = "*";
      const code = fault.status === 429 ? "TOOMANYREQUESTS" : "UNAVAILABLE";
      res.writeHead(fault.status, headers).end(JSON.stringify({ errors: [{ code, message: `relay fault ${fault.status}` }] }));
      return;
    }
    const headers = { ...req.headers, host: upstream.host };
    const proxied = httpRequest({ hostname: upstream.hostname, port: upstream.port, path, method: req.method, headers, agent });
    req.pipe(proxied);
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      proxied.once("response", resolve);
      proxied.once("error", reject);
    });
    entry.status = response.statusCode ?? 0;
    const outHeaders = { ...response.headers };
    delete outHeaders.connection;
    delete outHeaders["keep-alive"];
    res.writeHead(response.statusCode ?? 502, outHeaders);
    let sent = 0;
    const bucket = perSocket.get(req.socket) ?? new Bucket();
    perSocket.set(req.socket, bucket);
    for await (const data of response as AsyncIterable<Buffer>) {
      for (let at = 0; at < data.length; at += SLICE) {
        let slice = data.subarray(at, Math.min(data.length, at + SLICE));
        if (fault?.kind === "reset" || fault?.kind === "truncate" || fault?.kind === "stall") {
          if (sent + slice.length > fault.afterBytes) {
            slice = slice.subarray(0, Math.max(0, fault.afterBytes - sent));
            if (slice.length > 0) await write(res, slice);
            entry.bytes = sent + slice.length;
            response.destroy();
            // Quiet, the connection open: until the client gives up on it (or the relay stops).
            if (fault.kind === "stall") return void (await new Promise((resolve) => res.once("close", resolve)));
            if (fault.kind === "reset") req.socket.resetAndDestroy();
            else req.socket.end();
            return;
          }
        }
        if (fault?.kind === "corrupt" && fault.atByte >= sent && fault.atByte < sent + slice.length) {
          slice = Buffer.from(slice);
          slice[fault.atByte - sent] ^= 0xff;
        }
        await shape(bucket, slice.length);
        await write(res, slice);
        sent += slice.length;
        entry.bytes = sent;
      }
    }
    res.end();
  }

  async function shape(bucket: Bucket, bytes: number): Promise<void> {
    const now = Date.now();
    let until = now;
    const { perConnection, aggregate: total } = relay.shaping;
    if (perConnection) until = Math.max(until, bucket.take(bytes, perConnection, now));
    if (total) until = Math.max(until, aggregate.take(bytes, total, now));
    if (until - now > 1) await delay(until - now);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  relay.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return relay;
}

function write(res: ServerResponse, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.destroyed) return reject(new Error("client went away"));
    if (res.write(data)) return resolve();
    const onDrain = () => {
      res.off("close", onClose);
      resolve();
    };
    const onClose = () => {
      res.off("drain", onDrain);
      reject(new Error("client went away"));
    };
    res.once("drain", onDrain);
    res.once("close", onClose);
  });
}

/** Deliberate: the network time the relay simulates (latency, a bandwidth limit), not a wait for an effect. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
