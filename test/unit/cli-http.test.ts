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

/** 4 MiB whose every byte says where it is, for /big. */
const BIG = Uint8Array.from({ length: 4 << 20 }, (_, i) => (i * 7 + (i >> 12)) & 0xff);

beforeAll(async () => {
  server = createServer((req, res) => res.end(req.url === "/big" ? BIG : "x".repeat(1000)));
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

test("a body piece handed back is freed at once when it is its memory's only view, and left alone when it shares it", async () => {
  const http = createHttp({ env: {} });
  const response = await http(`${base}/big`, { method: "GET" });
  const reader = response.body!.getReader();
  const got = new Uint8Array(BIG.length);
  let at = 0;
  let whole = 0;
  let pieces = 0;
  for (let r = await reader.read(); !r.done && r.value; r = await reader.read()) {
    const piece = r.value;
    got.set(piece, at);
    at += piece.length;
    pieces++;
    const sole = piece.byteOffset === 0 && piece.byteLength === piece.buffer.byteLength;
    const length = piece.length;
    reader.recycle?.(piece);
    if (sole) whole++;
    // Freed: the piece is detached. Shared: untouched, its memory's other views with it.
    expect(piece.length).toBe(sole ? 0 : length);
  }
  expect(at).toBe(BIG.length);
  expect(Buffer.compare(got, BIG)).toBe(0);
  // Socket reads of a body in flight are whole reads: most pieces are freed here.
  expect(whole).toBeGreaterThan(pieces / 2);
});
