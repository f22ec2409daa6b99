// A reverse proxy in front of the harness Worker that holds every blob request back for
// a while, so a test can reload the page in the middle of a download. The page is
// loaded through it (same origin), and the Host header is kept so the Worker advertises
// this proxy's /token as its realm. Records blob requests, to prove a resume skips
// what it has.
import { createServer, request, type Server } from "node:http";

export interface SlowProxy {
  url: string;
  /** The digest of every blob request, in arrival order (retries appear twice). */
  blobRequests: string[];
  /** Milliseconds each blob request waits before it is forwarded. */
  delayMs: number;
  close(): Promise<void>;
}

export async function startSlowProxy(target: string, delayMs: number): Promise<SlowProxy> {
  const upstream = new URL(target);
  const proxy: SlowProxy = { url: "", blobRequests: [], delayMs, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const isBlob = /\/blobs\/sha256:/.test(req.url ?? "");
    if (isBlob) proxy.blobRequests.push(/sha256:[0-9a-f]{64}/.exec(req.url ?? "")?.[0] ?? "");
    const forward = () => {
      const out = request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on("error", () => res.destroy());
      req.pipe(out);
    };
    // Deliberate: holding blob requests back is what gives the download a middle to reload in.
    if (isBlob) setTimeout(forward, proxy.delayMs);
    else forward();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  proxy.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  proxy.close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}

/** A file-scoped vitest fixture: one slow proxy in front of `target` for the whole file. */
export function slowProxyFixture(target: string, delayMs: number): [({}: object, use: (slow: SlowProxy) => Promise<void>) => Promise<void>, { scope: "file" }] {
  return [
    async ({}, use) => {
      const slow = await startSlowProxy(target, delayMs);
      await use(slow);
      await slow.close();
    },
    { scope: "file" },
  ];
}
