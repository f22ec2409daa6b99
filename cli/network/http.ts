// The CLI's HTTP: undici with one dispatcher per route, so every request the registry
// client makes (registry, token realm, CDN redirects, the --proxy mirror) goes through
// the proxy the environment names for its URL (proxy-env.ts) and with the TLS options
// given (--ca-file, --tls-verify=false). -v says once per host which way it goes.
//
// undici's request(), not its fetch(): fetch hands a body over through a web
// ReadableStream, which on Node costs more CPU per byte than parsing HTTP does (the
// bench's profile: fetch's stream layer was the largest part of the CLI's time on
// loopback). request() gives the body as a Node stream, read here piece by piece. It
// never follows redirects, as the registry client wants ("manual").
import { getMaxListeners, setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import type { Readable } from "node:stream";
import { Agent, buildConnector, ProxyAgent, type Dispatcher } from "./undici-parts.ts";
import { DockerdlError } from "../../shared/errors.ts";
import { readBody, type BodyReader, type HttpBody, type HttpFetch, type HttpHeaders, type HttpResponse } from "../../shared/http.ts";
import { isAbortOrTimeout, ThroughProxyError } from "../../shared/registry/errors.ts";
import { proxyFor, redactUrl, type Env, type ProxyChoice } from "./proxy-env.ts";
import type { OpenDispatcher, SocketSlots } from "./socket-slots.ts";
import { tlsError } from "./tls-errors.ts";

export interface HttpOptions {
  env: Env;
  /** PEM file of CA certificates trusted besides the system's. */
  caFile?: string;
  /** Hostnames whose certificates are not verified (--tls-verify=false: the registry or mirror only). */
  unverifiedHosts?: readonly string[];
  /** The --proxy mirror's URL, named as such in messages. */
  mirror?: string;
  /** -v: where each host's requests go. */
  log?: (line: string) => void;
  /**
   * Sockets open at once, every host together (--connections; socket-slots.ts), whatever
   * the engine asks: requests beyond it wait for a socket. A hard ceiling, since an
   * abandoned body's socket only closes once its body is cancelled. One pull's clients
   * share one.
   */
  sockets?: SocketSlots;
}

export function createHttp(options: HttpOptions): HttpFetch {
  const ca = options.caFile === undefined ? undefined : [...rootCertificates, readCaFile(options.caFile)];
  const dispatchers = new Map<string, Dispatcher>();
  const told = new Set<string>();
  /** The URL's route (direct or which proxy, verified or not), and how a dispatcher for it is made. */
  const routeOf = (url: URL): { key: string; open: OpenDispatcher } => {
    const choice = proxyFor(url, options.env);
    const verify = !options.unverifiedHosts?.includes(url.hostname);
    if (!told.has(url.host)) {
      told.add(url.host);
      const route = choice.proxy === undefined ? `direct (${choice.reason})` : `through proxy ${redactUrl(choice.proxy)} (${choice.reason})`;
      options.log?.(`${url.host}: ${route}${verify || url.protocol !== "https:" ? "" : ", TLS certificate not verified (--tls-verify=false)"}`);
    }
    const tls = { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: verify };
    // Under a SocketSlots, a dispatcher serves one slot: one connection.
    const limit = options.sockets === undefined ? {} : { connections: 1 };
    const open: OpenDispatcher = (onSocket) => {
      if (choice.proxy !== undefined) return new ProxyAgent({ uri: choice.proxy, requestTls: tls, proxyTls: { ...(ca === undefined ? {} : { ca }) }, ...limit });
      const connector = buildConnector(tls);
      return new Agent({
        ...limit,
        connect: (connectOptions, callback) => connector(connectOptions, (...args) => {
          if (args[1] !== null) onSocket(args[1]);
          callback(...args);
        }),
      });
    };
    return { key: `${choice.proxy ?? "direct"}\n${verify}`, open };
  };
  return async (url, init) => {
    const target = new URL(url);
    const route = routeOf(target);
    let response;
    try {
      if (options.sockets === undefined) {
        let dispatcher = dispatchers.get(route.key);
        if (dispatcher === undefined) dispatchers.set(route.key, (dispatcher = route.open(() => {})));
        response = await send(target, init, dispatcher);
      } else {
        const lease = await options.sockets.acquire(`${route.key}\n${target.origin}`, route.open, init.signal);
        response = await send(target, init, releasedAtEnd(lease.dispatcher, lease.release), lease.release);
      }
    } catch (error) {
      throw tlsError(error, target, options.mirror) ?? throughProxy(error, proxyFor(target, options.env)) ?? error;
    }
    return target.protocol === "http:" && response.status === 400 ? await unlessHttpsServer(response, target) : response;
  };
}

/** A failure on the way through a proxy, naming it (redacted) and the variable that chose it. */
function throughProxy(error: unknown, choice: ProxyChoice): ThroughProxyError | undefined {
  if (choice.proxy === undefined || !(error instanceof Error) || isAbortOrTimeout(error)) return undefined;
  return new ThroughProxyError(error, redactUrl(choice.proxy), choice.reason);
}

/** A handler's callbacks that end its request, the new API's and the legacy one's. */
const ENDINGS: ReadonlySet<PropertyKey> = new Set(["onResponseEnd", "onResponseError", "onComplete", "onError"]);

/**
 * `dispatcher`, calling `release` when a request's response has all arrived (or failed)
 * at the socket, which is then free, whether or not its body has been read yet: a reader
 * that stops at the bytes it wanted (a chunked body's last, empty chunk unread) does not
 * hold the slot.
 */
function releasedAtEnd(dispatcher: Dispatcher, release: () => void): Dispatcher {
  return dispatcher.compose((dispatch) => (opts, handler) => {
    // Each method wrapped once per request, not on every call: the body's data callback
    // runs once per socket read.
    const wrapped = new Map<PropertyKey, unknown>();
    return dispatch(opts, new Proxy(handler, {
      get(target, name) {
        if (wrapped.has(name)) return wrapped.get(name);
        const value: unknown = Reflect.get(target, name);
        if (typeof value !== "function") return value;
        const method = value as (...args: unknown[]) => unknown;
        const bound = ENDINGS.has(name)
          ? (...args: unknown[]) => {
            release();
            return method.apply(target, args);
          }
          : method.bind(target);
        wrapped.set(name, bound);
        return bound;
      },
    }));
  });
}

/** Statuses whose responses have no body (fetch's "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Requests one signal may watch at once. The engine's parallel fetches (connections plus
 * early requests, and the auth and manifest requests beside them) share the pull's
 * signal; past Node's default of 10 listeners, each request() would print a
 * MaxListenersExceededWarning to the user, as fetch() does not (it raises the limit).
 */
const SIGNAL_LISTENERS = 1000;

/** `release`: called once the answer's body is done with (read, cancelled, failed), or the request failed. */
async function send(url: URL, init: Parameters<HttpFetch>[1], dispatcher: Dispatcher, release: () => void = () => {}): Promise<HttpResponse> {
  if (init.signal !== undefined && getMaxListeners(init.signal) < SIGNAL_LISTENERS) setMaxListeners(SIGNAL_LISTENERS, init.signal);
  let answer;
  try {
    answer = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: init.method ?? "GET",
      ...(init.headers === undefined ? {} : { headers: init.headers }),
      ...(init.body === undefined ? {} : { body: init.body }),
      ...(init.signal === undefined ? {} : { signal: init.signal }),
    });
  } catch (error) {
    release();
    if (error instanceof Error && error.name === "AbortError") throw error;
    // The shape fetch gives (and messages are made from): "fetch failed", the socket's error as its cause.
    throw new TypeError("fetch failed", { cause: error });
  }
  const { statusCode, headers, body } = answer;
  // Errors reach the reader through the iterator; cancelling destroys the stream, which
  // undici reports as an 'error' event that must not go unheard.
  body.on("error", () => {});
  body.once("close", release);
  const empty = init.method === "HEAD" || NULL_BODY.has(statusCode);
  if (empty) body.resume();
  return {
    status: statusCode,
    url: url.href,
    headers: headerView(headers),
    body: empty ? null : nodeBody(body),
  };
}

function headerView(headers: Record<string, string | string[] | undefined>): HttpHeaders {
  return {
    get(name) {
      const value = headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
    },
  };
}

/** A Node body stream as shared/ reads bodies; cancelling it closes the connection's response. */
function nodeBody(stream: Readable): HttpBody {
  const pieces = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const cancel = async (reason?: unknown) => {
    stream.destroy(reason instanceof Error ? reason : undefined);
  };
  const reader: BodyReader = {
    // The iterator's results have the reader's shape already: nothing more per piece.
    read: () => pieces.next(),
    cancel,
    releaseLock() {},
    recycle: freePiece,
  };
  return { getReader: () => reader, cancel };
}

/**
 * Frees a body piece its reader is done with, now. Each socket read is a fresh 64 KiB
 * of memory outside V8's heap, freed only once the collector has found the Buffer that
 * holds it: at a pull's pace that was 30-50 MiB of dead pieces at any moment. A piece
 * that is its memory's only view (undici hands on a body read whole as a view of the
 * whole read) is detached by transferring it to an empty buffer, which frees the
 * memory at once. A piece that shares its memory (the end of a read with the next
 * response's head in it), or a Node without ArrayBuffer.prototype.transfer (before 21),
 * is left to the collector.
 */
function freePiece(piece: Uint8Array): void {
  const memory = piece.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (piece.byteOffset !== 0 || piece.byteLength !== memory.byteLength || typeof memory.transfer !== "function") return;
  memory.transfer(0);
}

/**
 * Go's servers (docker-registry, most registries) answer plain http on an https port
 * with a bare 400 "Client sent an HTTP request to an HTTPS server.": say that instead.
 * Any other 400 is handed on with its (short, read-capped) body.
 */
async function unlessHttpsServer(response: HttpResponse, url: URL): Promise<HttpResponse> {
  const bytes = await readBody(response, 4096).catch(() => new Uint8Array());
  const text = new TextDecoder().decode(bytes);
  if (text.startsWith("Client sent an HTTP request to an HTTPS server")) {
    throw new DockerdlError("TLS", `${url.host} speaks https, not http`, {
      hint: "it is a TLS registry: if its certificate is signed by a private CA add --ca-file CA.pem, if it is self-signed add --tls-verify=false (either one makes dockerdl use https)",
    });
  }
  return { status: response.status, url: response.url, headers: response.headers, body: bytesBody(bytes) };
}

/** A body already read, handed on as one piece. */
function bytesBody(bytes: Uint8Array): HttpBody {
  let drained = false;
  const reader: BodyReader = {
    async read() {
      if (drained || bytes.length === 0) return { done: true, value: undefined };
      drained = true;
      return { done: false, value: bytes };
    },
    async cancel() {
      drained = true;
    },
    releaseLock() {},
  };
  return { getReader: () => reader, cancel: reader.cancel };
}

function readCaFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new DockerdlError("USAGE", `--ca-file ${file} cannot be read: ${(error as Error).message.replace(/^[A-Z]+: /, "")}`, { hint: "give the path of a PEM file with the CA certificate(s)" });
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    throw new DockerdlError("USAGE", `--ca-file ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`, { hint: "give the CA certificate in PEM form, e.g. converted with: openssl x509 -inform der -in ca.der -out ca.pem" });
  }
  return text;
}
