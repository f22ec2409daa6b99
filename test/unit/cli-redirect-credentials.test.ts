// Credentials go only to the registry's own origin and to the token realm that the
// registry's own challenge names. A blob the registry redirects to another origin (a
// CDN) that answers 401 gets nothing: not the password (Basic), not a token fetched
// with it from a realm the redirect host names (Bearer). Real servers on 127.0.0.1,
// through the CLI's HTTP stack.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createHttp } from "../../cli/network/http.ts";
import { parseReference } from "../../shared/reference.ts";
import { RegistryClient } from "../../shared/registry/client.ts";

const digest = `sha256:${"ab".repeat(32)}`;
const blob = { digest, size: 4, mediaType: "application/vnd.oci.image.layer.v1.tar+gzip" };
const credentials = { username: "someone", password: "registry-secret" };

interface Seen {
  path: string;
  authorization?: string;
}

let registryChallenges = false;
let redirectChallenge = "";
const atRegistry: Seen[] = [];
const atRedirect: Seen[] = [];
let registry: Server;
let redirect: Server;
let registryUrl: URL;
let redirectUrl: URL;

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: URL }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`) };
}

const seen = (req: IncomingMessage): Seen => ({ path: req.url ?? "", ...(req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }) });

beforeAll(async () => {
  ({ server: registry, url: registryUrl } = await listen((req, res) => {
    atRegistry.push(seen(req));
    if (registryChallenges && req.headers.authorization === undefined) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="registry"' }).end();
      return;
    }
    res.writeHead(307, { location: `${redirectUrl.origin}/cdn/${digest}` }).end();
  }));
  ({ server: redirect, url: redirectUrl } = await listen((req, res) => {
    atRedirect.push(seen(req));
    if (req.url?.startsWith("/token")) {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: "cdn-token" }));
      return;
    }
    res.writeHead(401, { "www-authenticate": redirectChallenge }).end();
  }));
});
afterAll(async () => {
  await Promise.all([registry, redirect].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});
beforeEach(() => {
  atRegistry.length = 0;
  atRedirect.length = 0;
});

async function fetchRedirectedBlob(): Promise<unknown> {
  const client = new RegistryClient({ fetch: createHttp({ env: {} }), credentials, retries: 0 });
  return client.fetchBlob(parseReference(`${registryUrl.host}/team/app:v1`), blob).then(() => "fetched", (error: unknown) => error);
}

describe("a 401 from the host a blob was redirected to", () => {
  it.each([
    ["Basic", () => 'Basic realm="cdn"'],
    ["Bearer with a realm on the redirect host", () => `Bearer realm="${redirectUrl.origin}/token",service="cdn"`],
  ])("%s: neither the password nor a token reaches anyone; the error names the redirect host", async (_, challenge) => {
    registryChallenges = false;
    redirectChallenge = challenge();
    const outcome = await fetchRedirectedBlob();
    expect(atRedirect.length).toBeGreaterThan(0);
    expect(atRedirect.filter((r) => r.authorization !== undefined)).toEqual([]);
    expect(atRedirect.filter((r) => r.path.startsWith("/token"))).toEqual([]);
    // The registry never asked for credentials, so it gets none either.
    expect(atRegistry.filter((r) => r.authorization !== undefined)).toEqual([]);
    expect(outcome).toMatchObject({ code: "UNAUTHORIZED", message: expect.stringContaining(redirectUrl.host) });
  });

  it("the registry's own Basic challenge is still answered, at the registry only", async () => {
    registryChallenges = true;
    redirectChallenge = 'Basic realm="cdn"';
    const outcome = await fetchRedirectedBlob();
    const basic = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}`;
    expect(atRegistry.map((r) => r.authorization)).toContain(basic);
    expect(atRedirect.filter((r) => r.authorization !== undefined)).toEqual([]);
    expect(outcome).toMatchObject({ code: "UNAUTHORIZED", message: expect.stringContaining(redirectUrl.host) });
  });
});
