// A Docker-Hub-like front for the fake registry (fake-registry.ts), on 127.0.0.1: an
// authorised blob GET is answered with a 307 to a "CDN" path (on the front itself, as
// Hub sends its blob GETs to its CDN), every other request is passed to the registry
// as it came. It logs every request it receives, the redirect hops included, so a test
// counts the subrequests a Worker request makes: the front's log plus the token requests
// that went straight to the registry's realm (its challenge names its own /token).
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FakeRegistry, Logged } from "./fake-registry.ts";

const CDN_PREFIX = "/cdn";

export interface RedirectingFront {
  url: string;
  log: Logged[];
  /** The registry behind it; set once its fixture has started. */
  target: string | undefined;
  close(): Promise<void>;
}

export async function startRedirectingFront(): Promise<RedirectingFront> {
  const log: Logged[] = [];
  const front: RedirectingFront = { url: "", log, target: undefined, close: () => Promise.resolve() };
  const server = createServer((request, response) => {
    log.push({ method: request.method ?? "", path: request.url ?? "", authorization: request.headers.authorization ?? null, range: request.headers.range ?? null, acceptEncoding: request.headers["accept-encoding"] ?? null, bytes: 0 });
    const path = request.url ?? "/";
    if (request.method === "GET" && request.headers.authorization && /^\/v2\/.+\/blobs\/sha256:[0-9a-f]{64}$/.test(path)) {
      response.writeHead(307, { location: `${CDN_PREFIX}${path}`, "content-length": 0 });
      return void response.end();
    }
    pass(request, response, path.startsWith(`${CDN_PREFIX}/`) ? path.slice(CDN_PREFIX.length) : path);
  });

  function pass(request: IncomingMessage, response: ServerResponse, path: string): void {
    if (front.target === undefined) {
      response.writeHead(503);
      return void response.end("the front has no registry behind it yet");
    }
    const { host: _host, ...headers } = request.headers;
    const upstream = httpRequest(`${front.target}${path}`, { method: request.method, headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on("error", () => response.destroy());
    response.on("close", () => upstream.destroy());
    request.pipe(upstream);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  front.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  front.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
  return front;
}

/** Every request the Worker made since `since` (the front's log length and the registry's): through the front, and to the registry's realm. */
export function subrequestsSince(front: RedirectingFront, registry: FakeRegistry, since: { front: number; registry: number }): Logged[] {
  return [...front.log.slice(since.front), ...registry.log.slice(since.registry).filter((entry) => entry.path.startsWith("/token"))];
}

export function logMarks(front: RedirectingFront, registry: FakeRegistry): { front: number; registry: number } {
  return { front: front.log.length, registry: registry.log.length };
}
