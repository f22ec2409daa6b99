// A small upstream registry on 127.0.0.1 for the proxy tests, answering in the
// distribution spec's shapes: a Bearer challenge on /v2/, a token realm at /token (an
// anonymous token for anyone, a user's token for the right Basic credentials), manifests
// and blobs by GET and HEAD (blobs with Range too), tags/list, and spec-shaped errors. Repositories
// are public (readable with the anonymous token) or private (only with the user's). It
// logs every request, so a test can prove what the mirror did or did not ask upstream;
// a test may file any bytes under a digest to play an upstream that sends a corrupt blob,
// or make one manifest, blob or tag list misbehave, or a whole repository lie (hostile.ts).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { answerExpiredUrl, answerLiar, answerTextPage, EXPIRED_URL_PATH, misbehave, TEXT_PAGE_PATH, type Misbehaviour } from "./hostile.ts";

export const USER = { username: "alice", password: "wonderland" };
export const USER_TOKEN = "user-token-alice";
const ANONYMOUS_TOKEN = "anonymous-token";

export interface Logged {
  method: string;
  path: string;
  authorization: string | null;
  range: string | null;
  acceptEncoding: string | null;
  /** Body bytes the registry wrote for it (the whole body even when the reader left early). */
  bytes: number;
}

interface Repository {
  private: boolean;
  blobs: Map<string, Uint8Array>;
  manifests: Map<string, { bytes: Uint8Array; mediaType: string; digest: string }>;
}

export interface FakeRegistry {
  url: string;
  log: Logged[];
  /** Scopes the token realm was asked for, in order. */
  scopes: string[];
  addRepository(name: string, options: { private: boolean }): void;
  addBlob(repository: string, digest: string, bytes: Uint8Array): void;
  addManifest(repository: string, tag: string | null, manifest: { bytes: Uint8Array; mediaType: string; digest: string }): void;
  /** From now on, `reference` (a tag or digest, or "tags/list") of `repository` is answered by `kind`. */
  misbehave(repository: string, reference: string, kind: Misbehaviour): void;
  /** From now on, `repository` claims every digest to anyone (hostile.ts answerLiar); `tags` says which digest a tag names. */
  lie(repository: string, tags?: Record<string, string>): void;
  /** From now on (until called with false), the token realm never answers (hostile.ts's "stall-headers"). */
  stallTokens(on: boolean): void;
  close(): Promise<void>;
}

export async function startFakeRegistry(): Promise<FakeRegistry> {
  const repositories = new Map<string, Repository>();
  const log: Logged[] = [];
  const scopes: string[] = [];
  const misbehaviours = new Map<string, Misbehaviour>();
  const liars = new Map<string, Record<string, string>>();
  let tokensStalled = false;
  const server = createServer((request, response) => {
    const logged: Logged = { method: request.method ?? "", path: request.url ?? "", authorization: request.headers.authorization ?? null, range: request.headers.range ?? null, acceptEncoding: request.headers["accept-encoding"] ?? null, bytes: 0 };
    log.push(logged);
    countBytes(response, logged);
    answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  function challenge(response: ServerResponse, scope?: string) {
    const params = [`realm="${url}/token"`, `service="fake-registry"`, ...(scope ? [`scope="${scope}"`] : [])];
    error(response, 401, "UNAUTHORIZED", "authentication required", { "www-authenticate": `Bearer ${params.join(",")}` });
  }

  function issueToken(request: IncomingMessage, response: ServerResponse, query: URLSearchParams) {
    scopes.push(...query.getAll("scope"));
    const basic = request.headers.authorization;
    const expected = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString("base64")}`;
    if (basic && basic !== expected) return error(response, 401, "UNAUTHORIZED", "bad credentials");
    const token = basic ? USER_TOKEN : ANONYMOUS_TOKEN;
    json(response, 200, { token, access_token: token, expires_in: 300 });
  }

  function answer(request: IncomingMessage, response: ServerResponse) {
    const { pathname, searchParams } = new URL(request.url ?? "/", url);
    if (pathname === "/token") return tokensStalled ? misbehave("stall-headers", request, response, { bytes: new Uint8Array(), contentType: "" }) : issueToken(request, response, searchParams);
    if (pathname === "/v2/") return challenge(response);
    if (pathname === TEXT_PAGE_PATH) return answerTextPage(response);
    if (pathname === EXPIRED_URL_PATH) return answerExpiredUrl(response);
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(pathname) ?? /^\/v2\/(.+)\/(tags)\/(list)$/.exec(pathname);
    const lies = match && match[2] !== "tags" && liars.get(match[1]);
    if (lies) return answerLiar(request, response, match[2] as "manifests" | "blobs", decodeURIComponent(match[3]), lies);
    const repository = match && repositories.get(match[1]);
    if (!match || !repository) return error(response, 404, "NAME_UNKNOWN", "no such repository");
    const scope = `repository:${match[1]}:pull`;
    const bearer = request.headers.authorization?.replace(/^Bearer /, "");
    const allowed = bearer === USER_TOKEN || (bearer === ANONYMOUS_TOKEN && !repository.private);
    if (!allowed) return challenge(response, scope);
    const head = request.method === "HEAD";
    if (match[2] === "tags") return listTags(request, response, match[1], repository, misbehaviours.get(`${match[1]}@tags/list`));
    const reference = decodeURIComponent(match[3]);
    const hostile = misbehaviours.get(`${match[1]}@${reference}`);
    if (hostile && !honestFor(hostile, request.headers.range)) {
      const manifest = repository.manifests.get(reference);
      const honest = manifest ? { bytes: manifest.bytes, contentType: manifest.mediaType } : { bytes: repository.blobs.get(reference) ?? new Uint8Array(), contentType: "application/octet-stream" };
      return misbehave(hostile, request, response, honest);
    }
    if (match[2] === "manifests") {
      const manifest = repository.manifests.get(reference);
      if (!manifest) return error(response, 404, "MANIFEST_UNKNOWN", "no such manifest");
      response.writeHead(200, { "content-type": manifest.mediaType, "docker-content-digest": manifest.digest, "content-length": manifest.bytes.byteLength });
      return response.end(head ? undefined : manifest.bytes);
    }
    const blob = repository.blobs.get(match[3]);
    if (!blob) return error(response, 404, "BLOB_UNKNOWN", "no such blob");
    const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? "");
    if (range) {
      const [start, end] = [Number(range[1]), Math.min(Number(range[2]), blob.byteLength - 1)];
      response.writeHead(206, { "content-type": "application/octet-stream", "content-range": `bytes ${start}-${end}/${blob.byteLength}`, "content-length": end - start + 1 });
      return response.end(head ? undefined : blob.subarray(start, end + 1));
    }
    response.writeHead(200, { "content-type": "application/octet-stream", "docker-content-digest": match[3], "content-length": blob.byteLength });
    response.end(head ? undefined : blob);
  }

  const repository = (name: string) => {
    const found = repositories.get(name);
    if (!found) throw new Error(`add repository ${name} first`);
    return found;
  };
  return {
    url,
    log,
    scopes,
    addRepository: (name, options) => void repositories.set(name, { private: options.private, blobs: new Map(), manifests: new Map() }),
    addBlob: (name, digest, bytes) => void repository(name).blobs.set(digest, bytes),
    addManifest(name, tag, manifest) {
      repository(name).manifests.set(manifest.digest, manifest);
      if (tag) repository(name).manifests.set(tag, manifest);
    },
    misbehave: (name, reference, kind) => void misbehaviours.set(`${name}@${reference}`, kind),
    lie: (name, tags = {}) => void liars.set(name, tags),
    stallTokens: (on) => void (tokensStalled = on),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** tags/list: the repository's tags (its manifests' names that are not digests), or a misbehaviour's answer. */
function listTags(request: IncomingMessage, response: ServerResponse, name: string, repository: Repository, hostile: Misbehaviour | undefined) {
  const list = { name, tags: [...repository.manifests.keys()].filter((reference) => !reference.includes(":")) };
  if (hostile) return misbehave(hostile, request, response, { bytes: Buffer.from(JSON.stringify(list)), contentType: "application/json" });
  json(response, 200, list);
}

/** Counts the body bytes written to `response` into `logged.bytes`. */
function countBytes(response: ServerResponse, logged: Logged): void {
  const size = (chunk: unknown) => (typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk instanceof Uint8Array ? chunk.byteLength : 0);
  const write = response.write.bind(response) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const end = response.end.bind(response) as (chunk?: unknown, ...rest: unknown[]) => ServerResponse;
  response.write = ((chunk: unknown, ...rest: unknown[]) => {
    logged.bytes += size(chunk);
    return write(chunk, ...rest);
  }) as typeof response.write;
  response.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== "function") logged.bytes += size(chunk);
    return end(chunk, ...rest);
  }) as typeof response.end;
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const bytes = Buffer.from(JSON.stringify(body));
  response.writeHead(status, { "content-type": "application/json", "content-length": bytes.byteLength, ...headers });
  response.end(bytes);
}

function error(response: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) {
  json(response, status, { errors: [{ code, message }] }, headers);
}

/** Whether a misbehaving blob answers this request honestly all the same (see hostile.ts). */
function honestFor(kind: Misbehaviour, range: string | undefined): boolean {
  if (kind === "stall-whole" || kind === "trickle-whole") return range !== undefined;
  if (kind === "stall-large-ranges") {
    const asked = /^bytes=(\d+)-(\d+)$/.exec(range ?? "");
    return !asked || Number(asked[2]) - Number(asked[1]) + 1 <= 1024 * 1024;
  }
  return false;
}
