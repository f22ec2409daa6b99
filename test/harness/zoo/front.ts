// One zoo member: the registry front on its own loopback address, its token service (on
// a host of its own for Hub), and the hosts its blob GETs are redirected to, all in front
// of the one backing docker-registry, where the member's repositories live under its id
// (ghcr's zoo/app is the backing registry's ghcr/zoo/app). What each does follows
// members.ts, which cites the source of every behaviour.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MemberSpec } from "./members.ts";
import { listen, logEntry, relayBackend, specError, type Listening } from "./serve.ts";
import type { ZooState } from "./state.ts";
import { tokenAnswer } from "./token.ts";

export interface RunningMember {
  spec: MemberSpec;
  /** The registry's base URL (an UPSTREAMS value). */
  url: string;
  /** The token realm, when it has one. */
  realm?: string;
  /** The redirect hosts' base URLs, in hop order. */
  hops: string[];
  stop(): Promise<void>;
}

const MANIFEST_HEADERS = ["content-type", "content-length", "docker-content-digest", "etag"];
const BLOB_HEADERS = ["content-type", "content-length", "content-range", "accept-ranges", "docker-content-digest", "etag"];
const HUB_WINDOW = "w=21600";
const hopAddress = (spec: MemberSpec, n: number) => spec.address.replace(/\d+$/, (last) => String(Number(last) + n));

export async function startMember(spec: MemberSpec, backend: string, state: ZooState): Promise<RunningMember> {
  const servers: Listening[] = [];
  const stop = () => Promise.all(servers.map((s) => s.stop())).then(() => undefined);
  const hopsSpec = spec.blobs === "direct" ? [] : spec.blobs.hops;
  const counted = () => state.socketOpened(spec.id);
  const sign = (path: string) => state.sign(path, spec.quirks.urlMs);
  /** How a blob body is sent: the member's throttle (or a test's), its cut, its Range. */
  const bodyQuirks = (req: IncomingMessage, digest: string) => ({
    throttle: () => state.throttle || (spec.quirks.throttle ?? 0),
    ...(spec.quirks.cutFirstGetAfter !== undefined && req.method === "GET" && state.firstGet(spec.id, digest) ? { cutAfter: spec.quirks.cutFirstGetAfter } : {}),
    ...(spec.quirks.ignoreRange ? { ignoreRange: true } : {}),
  });
  // Hub's token realm is auth.docker.io, a host of its own; the hops follow it.
  const firstHop = spec.auth?.separateHost ? 2 : 1;
  const hops: Listening[] = [];
  for (let i = hopsSpec.length - 1; i >= 0; i--) {
    const last = i === hopsSpec.length - 1;
    const next = hops[0];
    hops.unshift(await listen(hopAddress(spec, firstHop + i), (req, res) => (last ? storage(req, res, i) : intermediate(req, res, i, next.url, hopsSpec[i + 1])), counted));
  }
  servers.push(...hops);
  let realm: string | undefined;
  if (spec.auth?.separateHost) {
    const auth = await listen(hopAddress(spec, 1), async (req, res) => {
      const entry = logEntry(state, spec.id, "auth", req);
      entry.status = tokenAnswer(spec, state, req, res);
    }, counted);
    servers.push(auth);
    realm = `${auth.url}${spec.auth.path}`;
  }
  const registry = await listen(spec.address, (req, res) => front(req, res), counted);
  servers.push(registry);
  if (spec.auth && !spec.auth.separateHost) realm = `${registry.url}${spec.auth.path}`;

  /** `expired`: the token sent has expired, which the challenge says as RFC 6750 has it. */
  function challenge(scope?: string, expired = false): Record<string, string> {
    if (!spec.auth || !realm) return {};
    const bearer = `Bearer realm="${realm}",service="${spec.auth.service}"${scope ? `,scope="${scope}"` : ""}${expired ? `,error="invalid_token"` : ""}`;
    return { "www-authenticate": spec.auth.extraChallenge ? `Basic realm="${spec.auth.service}", ${bearer}` : bearer };
  }

  async function front(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const entry = logEntry(state, spec.id, "registry", req);
    const url = new URL(req.url ?? "/", registry.url);
    if (spec.auth && !spec.auth.separateHost && url.pathname === spec.auth.path) {
      entry.status = tokenAnswer(spec, state, req, res);
      return;
    }
    if (url.pathname === "/v2/" || url.pathname === "/v2") {
      const verdict = spec.auth ? state.checkToken(spec.id, req.headers.authorization) : "ok";
      entry.status = verdict === "ok" ? 200 : 401;
      if (verdict === "ok") return void res.writeHead(200, { "content-type": "application/json", "docker-distribution-api-version": "registry/2.0" }).end("{}");
      if (verdict !== "missing") entry.refused = verdict;
      return specError(res, 401, "UNAUTHORIZED", "authentication required", challenge(spec.auth?.scopeOnPing ? "repository:user/image:pull" : undefined, verdict === "expired-token"));
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs|tags)\/(.+)$/.exec(url.pathname);
    if (!match || (req.method !== "GET" && req.method !== "HEAD")) {
      entry.status = 404;
      return specError(res, 404, "UNSUPPORTED", "not served by this zoo member");
    }
    const [, name, kind, reference] = match;
    const scope = `repository:${name}:pull`;
    const account = state.accountOf(spec.id, req.headers.authorization);
    if (account !== undefined) entry.account = account;
    if (spec.auth) {
      const verdict = state.checkToken(spec.id, req.headers.authorization, scope);
      if (verdict !== "ok") {
        entry.status = 401;
        if (verdict !== "missing") entry.refused = verdict;
        return specError(res, 401, "UNAUTHORIZED", "authentication required", challenge(scope, verdict === "expired-token"));
      }
    }
    const backendUrl = `${backend}/v2/${spec.id}/${name}/${kind}/${reference}${url.search}`;
    if (kind === "manifests") return manifest(req, res, backendUrl, entry);
    if (kind === "tags") return tags(req, res, backendUrl, name, entry);
    if (req.method === "GET" && hopsSpec.length > 0) {
      entry.status = hopsSpec[0];
      res.writeHead(hopsSpec[0], { location: `${hops[0].url}${sign(`/blobs/${name}/${reference}`)}`, "content-length": "0" }).end();
      return;
    }
    entry.status = await relayBackend(backendUrl, req, res, { keep: BLOB_HEADERS, entry, ...bodyQuirks(req, reference) });
  }

  async function manifest(req: IncomingMessage, res: ServerResponse, backendUrl: string, entry: ReturnType<typeof logEntry>): Promise<void> {
    const rate: Record<string, string> = {};
    if (spec.quirks.hubRateLimit) {
      // Hub counts manifest GETs against the pull limit, per account when the token is
      // one's, else per address; HEADs are free, and answered even once the limit is spent.
      const account = state.accountOf(spec.id, req.headers.authorization);
      const limit = account === undefined ? state.hubLimit : state.hubAccountLimit;
      let count = account === undefined ? state.hubCount : state.hubAccountCounts.get(account) ?? 0;
      if (req.method === "GET") {
        count++;
        if (account === undefined) state.hubCount = count;
        else state.hubAccountCounts.set(account, count);
      }
      if (req.method === "GET" && count > limit) {
        entry.status = 429;
        res.writeHead(429, { "content-type": "text/html; charset=utf-8", "ratelimit-limit": `${limit};${HUB_WINDOW}`, "ratelimit-remaining": `0;${HUB_WINDOW}` });
        return void res.end("<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1><p>You have reached your pull rate limit.</p></body></html>");
      }
      rate["ratelimit-limit"] = `${limit};${HUB_WINDOW}`;
      rate["ratelimit-remaining"] = `${Math.max(0, limit - count)};${HUB_WINDOW}`;
      rate["docker-ratelimit-source"] = account ?? "127.0.0.1";
    }
    entry.status = await relayBackend(backendUrl, req, res, {
      keep: MANIFEST_HEADERS,
      adjust(headers) {
        Object.assign(headers, rate);
        if (spec.quirks.noDigestHeader) delete headers["docker-content-digest"];
        if (spec.quirks.contentTypeParameters && headers["content-type"]) headers["content-type"] += "; charset=utf-8";
      },
    });
  }

  async function tags(req: IncomingMessage, res: ServerResponse, backendUrl: string, name: string, entry: ReturnType<typeof logEntry>): Promise<void> {
    const answer = await fetch(backendUrl);
    const body = (await answer.json()) as { name?: string; tags?: string[] };
    if (answer.ok) body.name = name;
    const headers: Record<string, string> = { "content-type": "application/json" };
    const link = answer.headers.get("link");
    if (link) headers.link = link.replace(`/v2/${spec.id}/`, "/v2/");
    entry.status = answer.status;
    res.writeHead(answer.status, headers).end(req.method === "HEAD" ? undefined : JSON.stringify(body));
  }

  /** A redirect host that is not the last (registry.k8s.io's regional Artifact Registry): one more hop. */
  async function intermediate(req: IncomingMessage, res: ServerResponse, index: number, next: string, status: number): Promise<void> {
    const entry = logEntry(state, spec.id, `hop${index}`, req);
    const url = new URL(req.url ?? "/", "http://zoo");
    const verdict = state.checkSigned(url);
    if (verdict !== "ok") {
      entry.status = 403;
      entry.refused = verdict;
      return void res.writeHead(403, { "content-type": "text/plain" }).end(verdict);
    }
    entry.status = status;
    res.writeHead(status, { location: `${next}${sign(url.pathname)}`, "content-length": "0" }).end();
  }

  /** The object store or CDN: signed and expiring URLs, never an Authorization header, Range served (unless the member ignores it). */
  async function storage(req: IncomingMessage, res: ServerResponse, index: number): Promise<void> {
    const entry = logEntry(state, spec.id, `hop${index}`, req);
    const url = new URL(req.url ?? "/", "http://zoo");
    const refuse = spec.blobs === "direct" ? 403 : spec.blobs.refuseAuthorization;
    if (req.headers.authorization !== undefined) {
      // S3: 400 "Only one auth mechanism allowed"; GCS, Azure and Cloudflare's signed URLs: 403.
      entry.status = refuse;
      entry.refused = "authorization";
      return void res.writeHead(refuse, { "content-type": "application/xml" }).end("<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>");
    }
    const verdict = state.checkSigned(url);
    const match = /^\/blobs\/(.+)\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
    if (verdict !== "ok" || !match) {
      entry.status = 403;
      entry.refused = verdict;
      return void res.writeHead(403, { "content-type": "application/xml" }).end("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>");
    }
    entry.status = await relayBackend(`${backend}/v2/${spec.id}/${match[1]}/blobs/${match[2]}`, req, res, {
      keep: BLOB_HEADERS.filter((h) => h !== "docker-content-digest"),
      entry,
      chunked: spec.quirks.chunked === true,
      ...bodyQuirks(req, match[2]),
    });
  }

  return { spec, url: registry.url, ...(realm ? { realm } : {}), hops: hops.map((h) => h.url), stop };
}
