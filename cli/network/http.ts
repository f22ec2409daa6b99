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
import { Agent, ProxyAgent, request, type Dispatcher } from "undici";
import { DockerdlError } from "../../shared/errors.ts";
import { readBody, type BodyReader, type HttpBody, type HttpFetch, type HttpHeaders, type HttpResponse } from "../../shared/http.ts";
import { isAbortOrTimeout, ThroughProxyError } from "../../shared/registry/errors.ts";
import { proxyFor, redactUrl, type Env, type ProxyChoice } from "./proxy-env.ts";
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
   * Sockets open to one host at most (--connections), whatever the engine asks: requests
   * beyond it wait for a socket. A hard ceiling, since an abandoned body's socket only
   * closes once its body is cancelled.
   */
  connections?: number;
}

export function createHttp(options: HttpOptions): HttpFetch {
  const ca = options.caFile === undefined ? undefined : [...rootCertificates, readCaFile(options.caFile)];
  const dispatchers = new Map<string, Dispatcher>();
  const told = new Set<string>();
  const dispatcherFor = (url: URL): Dispatcher => {
    const choice = proxyFor(url, options.env);
    const verify = !options.unverifiedHosts?.includes(url.hostname);
    if (!told.has(url.host)) {
      told.add(url.host);
      const route = choice.proxy === undefined ? `direct (${choice.reason})` : `through proxy ${redactUrl(choice.proxy)} (${choice.reason})`;
      options.log?.(`${url.host}: ${route}${verify || url.protocol !== "https:" ? "" : ", TLS certificate not verified (--tls-verify=false)"}`);
    }
    const key = `${choice.proxy ?? "direct"}\n${verify}`;
    let dispatcher = dispatchers.get(key);
    if (dispatcher === undefined) {
      const tls = { ...(ca === undefined ? {} : { ca }), rejectUnauthorized: verify };
      const limit = options.connections === undefined ? {} : { connections: options.connections };
      dispatcher = choice.proxy === undefined
        ? new Agent({ connect: tls, ...limit })
        : new ProxyAgent({ uri: choice.proxy, requestTls: tls, proxyTls: { ...(ca === undefined ? {} : { ca }) }, ...limit });
      dispatchers.set(key, dispatcher);
    }
    return dispatcher;
  };
  return async (url, init) => {
    const target = new URL(url);
    let response;
    try {
      response = await send(target, init, dispatcherFor(target));
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

/** Statuses whose responses have no body (fetch's "null body status"). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Requests one signal may watch at once. The engine's parallel fetches (connections plus
 * early requests, and the auth and manifest requests beside them) share the pull's
 * signal; past Node's default of 10 listeners, each request() would print a
 * MaxListenersExceededWarning to the user, as fetch() does not (it raises the limit).
 */
const SIGNAL_LISTENERS = 1000;

async function send(url: URL, init: Parameters<HttpFetch>[1], dispatcher: Dispatcher): Promise<HttpResponse> {
  if (init.signal !== undefined && getMaxListeners(init.signal) < SIGNAL_LISTENERS) setMaxListeners(SIGNAL_LISTENERS, init.signal);
  let answer;
  try {
    answer = await request(url, {
      method: init.method ?? "GET",
      ...(init.headers === undefined ? {} : { headers: init.headers }),
      ...(init.body === undefined ? {} : { body: init.body }),
      ...(init.signal === undefined ? {} : { signal: init.signal }),
      dispatcher,
    });
  } catch (error) {
    if (error instanceof Error && error.name === "AbortError") throw error;
    // The shape fetch gives (and messages are made from): "fetch failed", the socket's error as its cause.
    throw new TypeError("fetch failed", { cause: error });
  }
  const { statusCode, headers, body } = answer;
  // Errors reach the reader through the iterator; cancelling destroys the stream, which
  // undici reports as an 'error' event that must not go unheard.
  body.on("error", () => {});
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
  };
  return { getReader: () => reader, cancel };
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
