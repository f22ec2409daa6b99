// A forwarding HTTP proxy on loopback, as a company proxy is: CONNECT tunnels (what
// clients use for https, and undici for every URL) and absolute-URI requests for plain
// http. It records every target it carried, so tests can prove traffic went through it.
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { connect, type Socket } from "node:net";

export interface ForwardProxy {
  url: string;
  /** host:port of every request or tunnel carried, in order. */
  targets: string[];
  stop(): Promise<void>;
}

export async function startForwardProxy(): Promise<ForwardProxy> {
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end("absolute URI expected");
      return;
    }
    targets.push(target.host);
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer: IncomingMessage) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const [host, port] = (req.url ?? "").split(/:(?=\d+$)/);
    targets.push(req.url ?? "");
    const upstream = connect(Number(port), host.replace(/^\[|\]$/g, ""), () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    }
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    stop: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
