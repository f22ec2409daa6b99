// `npm start`'s check that PORT is free on HOST before wrangler starts: wrangler dev does
// not always fail when another server holds the port, and the readiness poll would then
// see the other server answer and print "ready" for it.
import { createServer } from "node:net";

export class PortInUseError extends Error {}

/** The loopback addresses `localhost` may mean: each must be free. */
function addressesOf(host: string): string[] {
  return host === "localhost" ? ["127.0.0.1", "::1"] : [host];
}

function tryListen(host: string, port: number): Promise<"free" | "in-use" | "unavailable"> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE" || error.code === "EACCES") resolve("in-use");
      // No IPv6 on this machine: nothing can hold ::1 then.
      else if (error.code === "EADDRNOTAVAIL" || error.code === "EAFNOSUPPORT") resolve("unavailable");
      else reject(error);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve("free")));
  });
}

/** Resolves when `port` can be listened on at `host`; otherwise a message naming PORT and HOST. */
export async function assertPortFree(host: string, port: number): Promise<void> {
  for (const address of addressesOf(host)) {
    if ((await tryListen(address, port)) === "in-use") {
      throw new PortInUseError(
        `port ${port} on ${host} is already in use (another server listens there, or it needs privileges)\n` +
        `  hint: stop that server, or start on another port: PORT=${port === 8787 ? 8788 : port + 1} npm start`,
      );
    }
  }
}

/** PORT as a number, or a message saying what PORT must be. */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new PortInUseError(`PORT=${text} is not a port number (1-65535)`);
  return port;
}
