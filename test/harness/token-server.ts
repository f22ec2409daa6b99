// A token server speaking Docker Hub's auth.docker.io protocol, for the real registry's
// `auth: token` mode: GET /token?service=&scope= (Basic credentials optional) and the
// OAuth2 form POST that containerd sends. Tokens are RS256 JWTs whose header carries the
// signing certificate in `x5c`, which the registry checks against its rootcertbundle.
//
// Policy, like Hub: repositories under "private/" need the test user's credentials;
// every other repository is pullable anonymously; wrong credentials get a 401; push is
// granted only to PUSH_USER and the harness itself (mintToken).
import { execFileSync } from "node:child_process";
import { createPrivateKey, createSign, randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { parseScope } from "../../shared/www-authenticate.ts";

export const TEST_USER = { username: "tester", password: "s3cret-pass" };
/** May also push: for tests that need an image of their own (e.g. one to corrupt). */
export const PUSH_USER = { username: "pusher", password: "push-pass" };
export const ISSUER = "dockerdl-test-issuer";

export interface Access {
  type: string;
  name: string;
  actions: string[];
}

export interface TokenServer {
  url: string;
  realm: string;
  certFile: string;
  /** Every request the server answered, for tests that count them. */
  requests: { method: string; url: string; user: string | null }[];
  mintToken(service: string, access: Access[], subject?: string): string;
  stop(): Promise<void>;
}

export function isPrivateRepository(name: string): boolean {
  return name.startsWith("private/") || name.includes("/private/");
}

export async function startTokenServer(dir: string): Promise<TokenServer> {
  const keyFile = join(dir, "token.key");
  const certFile = join(dir, "token.crt");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
    "-subj", "/CN=dockerdl-test-token", "-keyout", keyFile, "-out", certFile,
  ], { stdio: "ignore" });
  const key = createPrivateKey(readFileSync(keyFile));
  const certDer = new X509Certificate(readFileSync(certFile)).raw.toString("base64");
  const requests: TokenServer["requests"] = [];

  const mintToken = (service: string, access: Access[], subject = "") =>
    signJwt(key, certDer, {
      iss: ISSUER,
      sub: subject,
      aud: service,
      exp: Math.floor(Date.now() / 1000) + 300,
      nbf: Math.floor(Date.now() / 1000) - 10,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      access,
    });

  const server: Server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/token") return res.writeHead(404).end();
    let params = url.searchParams;
    let user: string | null = null;
    let password: string | null = null;
    if (req.method === "POST") {
      params = new URLSearchParams(await readBody(req));
      if (params.get("grant_type") === "password") {
        user = params.get("username");
        password = params.get("password");
      }
    }
    const basic = parseBasic(req.headers.authorization);
    if (basic) [user, password] = basic;
    requests.push({ method: req.method ?? "GET", url: req.url ?? "", user });

    const known = [TEST_USER, PUSH_USER].some((u) => u.username === user && u.password === password);
    if (user !== null && !known) {
      res.writeHead(401, { "content-type": "application/json" });
      return res.end(JSON.stringify({ details: "incorrect username or password" }));
    }
    const service = params.get("service") ?? "";
    const access: Access[] = [];
    for (const scope of params.getAll("scope").flatMap((s) => s.split(" "))) {
      const parsed = parseScope(scope);
      if (parsed?.type !== "repository" || !parsed.name) continue;
      const { type, name, actions } = parsed;
      const allowed = actions.filter((a) =>
        (a === "pull" && (user !== null || !isPrivateRepository(name))) || (a === "push" && user === PUSH_USER.username));
      // Like Hub: a token with empty access rather than an error, so the registry answers 401.
      access.push({ type, name, actions: allowed });
    }
    const token = mintToken(service, access, user ?? "");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    realm: `${url}/token`,
    certFile,
    requests,
    mintToken,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function parseBasic(header: string | undefined): [string, string] | null {
  if (!header?.startsWith("Basic ")) return null;
  const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

function signJwt(key: KeyObject, certDer: string, claims: object): string {
  const header = base64url(JSON.stringify({ typ: "JWT", alg: "RS256", x5c: [certDer] }));
  const payload = base64url(JSON.stringify(claims));
  const signer = createSign("RSA-SHA256");
  signer.update(`${header}.${payload}`);
  return `${header}.${payload}.${base64url(signer.sign(key))}`;
}
