// The CLI's HTTP layer (cli/network/http.ts) with many requests on one signal, as the
// engine's parallel fetches make them: every request lets go of the signal once its body
// is read (http.ts raises the signal's listener limit, so a leak would print nothing).
// That no warning reaches the terminal on Node 20 is tested in cli-install.test.ts.
import { getEventListeners } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { createHttp } from "../../cli/network/http.ts";
import { readBody } from "../../shared/http.ts";

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((_, res) => res.end("x".repeat(1000)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test("30 requests at once on one signal leave no listener on it once read", async () => {
  const http = createHttp({ env: {} });
  const { signal } = new AbortController();
  const bodies = await Promise.all(Array.from({ length: 30 }, async (_, i) => {
    const response = await http(`${base}/blob/${i}`, { method: "GET", signal });
    return readBody(response, 1 << 20);
  }));
  expect(bodies.map((b) => b.length)).toEqual(Array(30).fill(1000));
  expect(getEventListeners(signal, "abort")).toHaveLength(0);
});
