// The mirror's /token reads its upstream realm's answer with a cap (issue 23, point 5): a
// token answer is a JWT or two and an expiry. A realm that answers megabytes, with a
// Content-Length or endlessly without one, or something that is not JSON, gets the client
// a 502 in the registry's error shape, and the read stops early: never a 500, never the
// whole body held in the Worker's 128 MB.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect } from "vitest";
import { testWith } from "./mirror.ts";

const REALM_KEY = "realm.test";
const ENDLESS_LIMIT = 64 * 1024 * 1024;

/** A registry whose /v2/ challenge names its own /token, which answers as the scope's repository says. */
async function startHostileRealm() {
  const state = { sent: 0 };
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://realm");
    if (url.pathname === "/v2/") {
      response.writeHead(401, { "www-authenticate": `Bearer realm="${realm.url}/token",service="realm"`, "content-type": "application/json" });
      return void response.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
    }
    const scope = url.searchParams.get("scope") ?? "";
    if (scope === "repository:huge/sized:pull") {
      const body = JSON.stringify({ token: "t".repeat(2 * 1024 * 1024), expires_in: 300 });
      response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      return void response.end(body);
    }
    if (scope === "repository:huge/endless:pull") return endless(response);
    if (scope === "repository:not/json:pull") {
      response.writeHead(200, { "content-type": "text/html" });
      return void response.end("<!doctype html><title>sign in</title>");
    }
    response.writeHead(200, { "content-type": "application/json" });
    response.end('{"token":"fine","expires_in":300}');
  });

  /** A JSON-looking token answer with no Content-Length that would go on for 64 MiB. */
  function endless(response: ServerResponse) {
    response.writeHead(200, { "content-type": "application/json" });
    response.write('{"token":"');
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const more = () => {
      while (state.sent < ENDLESS_LIMIT) {
        state.sent += chunk.byteLength;
        if (!response.write(chunk)) return void response.once("drain", more);
      }
      response.end('"}');
    };
    response.on("close", () => response.destroy());
    more();
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const realm = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  return realm;
}

const realm = await startHostileRealm();
afterAll(() => realm.close());
const test = testWith({ UPSTREAMS: JSON.stringify({ [REALM_KEY]: realm.url }) });

const tokenFor = (repository: string) => `/token?${new URLSearchParams({ service: REALM_KEY, scope: `repository:${REALM_KEY}/${repository}:pull` })}`;

describe("/token with a realm that answers too much", () => {
  test("passes an ordinary token answer on", async ({ mirror }) => {
    const response = await mirror.fetch(tokenFor("team/app"));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token: "fine" });
  });

  test("answers a 2 MiB token answer with a Content-Length with 502, in the registry's error shape", async ({ mirror }) => {
    const response = await mirror.fetch(tokenFor("huge/sized"));
    expect(response.status).toBe(502);
    const body = (await response.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0].code).toBe("UNKNOWN");
    expect(body.errors[0].message).toMatch(/token service of realm\.test answered more than \d+ bytes/);
  });

  test("answers an endless token answer without a Content-Length with 502, having stopped reading it early", async ({ mirror }) => {
    const response = await mirror.fetch(tokenFor("huge/endless"));
    expect(response.status).toBe(502);
    const body = (await response.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0].message).toMatch(/answered more than \d+ bytes/);
    // What the realm got written before the Worker hung up (socket buffers hold a few MiB).
    expect(realm.state.sent).toBeLessThan(16 * 1024 * 1024);
  });

  test("answers a token answer that is not JSON with 502", async ({ mirror }) => {
    const response = await mirror.fetch(tokenFor("not/json"));
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ errors: [{ code: "UNKNOWN", message: expect.stringContaining("not JSON") }] });
  });
});
