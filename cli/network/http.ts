// The CLI's HTTP: undici's fetch with one dispatcher per route, so every request the
// registry client makes (registry, token realm, CDN redirects, the --proxy mirror) goes
// through the proxy the environment names for its URL (proxy-env.ts) and with the TLS
// options given (--ca-file, --tls-verify=false). -v says once per host which way it goes.
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { Agent, fetch as undiciFetch, ProxyAgent, Response, type Dispatcher } from "undici";
import { DockerdlError } from "../../shared/errors.ts";
import { readBody, type HttpFetch, type HttpResponse } from "../../shared/http.ts";
import { proxyFor, redactUrl, type Env } from "./proxy-env.ts";
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
      dispatcher = choice.proxy === undefined
        ? new Agent({ connect: tls })
        : new ProxyAgent({ uri: choice.proxy, requestTls: tls, proxyTls: { ...(ca === undefined ? {} : { ca }) } });
      dispatchers.set(key, dispatcher);
    }
    return dispatcher;
  };
  return async (url, init) => {
    const target = new URL(url);
    let response;
    try {
      response = await undiciFetch(url, { ...init, dispatcher: dispatcherFor(target) });
    } catch (error) {
      throw tlsError(error, target, options.mirror) ?? error;
    }
    return (target.protocol === "http:" && response.status === 400 ? await unlessHttpsServer(response, target) : response) as HttpResponse;
  };
}

/**
 * Go's servers (docker-registry, most registries) answer plain http on an https port
 * with a bare 400 "Client sent an HTTP request to an HTTPS server.": say that instead.
 * Any other 400 is handed on with its (short, read-capped) body.
 */
async function unlessHttpsServer(response: Response, url: URL): Promise<Response> {
  const text = new TextDecoder().decode(await readBody(response as unknown as HttpResponse, 4096).catch(() => new Uint8Array()));
  if (text.startsWith("Client sent an HTTP request to an HTTPS server")) {
    throw new DockerdlError("TLS", `${url.host} speaks https, not http`, {
      hint: "it is a TLS registry: if its certificate is signed by a private CA add --ca-file CA.pem, if it is self-signed add --tls-verify=false (either one makes dockerdl use https)",
    });
  }
  return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
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
