// The auth realm the proxy advertises. Upstream challenges are rewritten to point here
// with service=<UPSTREAMS key>; this endpoint asks that upstream's own realm for a token
// (anonymously or with the client's credentials) and answers in the shape docker,
// podman (GET, `token`) and containerd (POST form, `access_token`) expect. The token
// is the upstream's own: clients send it back and the proxy forwards it.
import { findChallenge, formatChallenge, parseScope, type Challenge } from "../shared/www-authenticate.ts";
import type { Config } from "./config.ts";
import { registryError } from "./v2/errors.ts";
import { resolveRepository, RouteError } from "./v2/route.ts";
import { upstreamFailure } from "./upstream/failure.ts";
import { upstreamFetch, v2Url } from "./upstream/fetch.ts";

/** Rewrites an upstream Bearer challenge so the client comes to our /token. */
export function rewriteChallenge(header: string | null, origin: string, key: string, clientName?: string): string | null {
  if (!header) return null;
  const bearer = findChallenge(header, "bearer");
  if (!bearer) return header; // Basic auth upstreams: the client answers the upstream's own challenge.
  const params: Challenge["params"] = { realm: `${origin}/token`, service: key };
  if (bearer.params.scope) {
    params.scope = bearer.params.scope
      .split(" ")
      .map((scope) => {
        const parsed = parseScope(scope);
        if (!parsed || parsed.type !== "repository" || !clientName) return scope;
        return `repository:${clientName}:${parsed.actions.join(",")}`;
      })
      .join(" ");
  }
  if (bearer.params.error) params.error = bearer.params.error;
  return formatChallenge({ scheme: "Bearer", params });
}

interface UpstreamRealm {
  realm: URL;
  service?: string;
}

const realmCache = new Map<string, { value: UpstreamRealm | null; expires: number }>();

async function discoverRealm(upstream: URL): Promise<UpstreamRealm | null> {
  const cached = realmCache.get(upstream.href);
  if (cached && cached.expires > Date.now()) return cached.value;
  const response = await upstreamFetch(v2Url(upstream, ""), { method: "GET", headers: new Headers() }, upstream);
  await response.body?.cancel();
  const bearer = findChallenge(response.headers.get("www-authenticate"), "bearer");
  let value: UpstreamRealm | null = null;
  if (response.status === 401 && bearer?.params.realm) {
    value = { realm: new URL(bearer.params.realm, upstream), service: bearer.params.service };
  }
  realmCache.set(upstream.href, { value, expires: Date.now() + 10 * 60_000 });
  return value;
}

export async function handleToken(request: Request, config: Config): Promise<Response> {
  const url = new URL(request.url);
  let params = url.searchParams;
  let authorization = request.headers.get("authorization");
  let grantType: string | null = null;
  if (request.method === "POST") {
    const form = new URLSearchParams(await request.text());
    params = form;
    grantType = form.get("grant_type");
    const username = form.get("username");
    const password = form.get("password");
    if (grantType === "password" && username !== null && password !== null) {
      authorization = `Basic ${btoa(`${username}:${password}`)}`;
    }
  } else if (request.method !== "GET") {
    return registryError(405, "UNSUPPORTED", "use GET or POST for /token");
  }
  const scopes = params.getAll("scope").flatMap((s) => s.split(" ")).filter(Boolean);
  const key = keyForTokenRequest(scopes, params.get("service"), config);
  const upstream = config.upstreams.get(key);
  if (!upstream) {
    return registryError(400, "DENIED", `service "${key}" is not a registry this mirror serves (${[...config.upstreams.keys()].join(", ")})`);
  }
  let realm: UpstreamRealm | null;
  try {
    realm = await discoverRealm(upstream);
  } catch (error) {
    return upstreamFailure(error, key);
  }
  if (!realm) return basicUpstreamToken(upstream, key, authorization);
  const target = new URL(realm.realm);
  if (realm.service) target.searchParams.set("service", realm.service);
  for (const scope of scopes) {
    target.searchParams.append("scope", mapScope(scope, key, config));
  }
  for (const passthrough of ["account", "client_id", "offline_token"]) {
    const value = params.get(passthrough);
    if (value !== null) target.searchParams.set(passthrough, value);
  }
  if (grantType === "refresh_token" && params.get("refresh_token")) {
    target.searchParams.set("refresh_token", params.get("refresh_token")!);
  }
  const headers = new Headers({ accept: "application/json" });
  if (authorization?.startsWith("Basic ")) headers.set("authorization", authorization);
  let response: Response;
  try {
    response = await upstreamFetch(target, { method: "GET", headers }, upstream);
  } catch (error) {
    return upstreamFailure(error, key);
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    return registryError(401, "UNAUTHORIZED", `${key} rejected the username or password`);
  }
  if (!response.ok) {
    const retryAfter = response.headers.get("retry-after");
    await response.body?.cancel();
    return registryError(response.status === 429 ? 429 : 502, response.status === 429 ? "TOOMANYREQUESTS" : "UNKNOWN",
      `token service of ${key} answered ${response.status}`, undefined, retryAfter ? { "retry-after": retryAfter } : undefined);
  }
  let body: Record<string, unknown>;
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    return registryError(502, "UNKNOWN", `token service of ${key} answered something that is not JSON`);
  }
  const token = String(body.token ?? body.access_token ?? "");
  return tokenResponse({ ...body, token, access_token: token });
}

function mapScope(scope: string, key: string, config: Config): string {
  const parsed = parseScope(scope);
  if (!parsed || parsed.type !== "repository") return scope;
  let name = parsed.name;
  try {
    const resolved = resolveRepository(parsed.name, key, config);
    name = resolved.upstreamName;
  } catch (error) {
    if (!(error instanceof RouteError)) throw error;
  }
  // Only ever ask for pull: this is a pull-through mirror.
  return `repository:${name}:pull`;
}

function tokenResponse(body: Record<string, unknown>): Response {
  const now = new Date().toISOString();
  return new Response(JSON.stringify({ expires_in: 300, issued_at: now, ...body }), {
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

/**
 * Which upstream a token request is for. Clients that probed /v2/ use the service of
 * that challenge for every repository, so a scope naming another registry by its host
 * prefix (repository:ghcr.io/o/a:pull) wins over the service parameter.
 */
function keyForTokenRequest(scopes: string[], service: string | null, config: Config): string {
  for (const scope of scopes) {
    const parsed = parseScope(scope);
    const first = parsed?.name.split("/")[0];
    if (parsed && parsed.name.includes("/") && first && config.upstreams.has(first.toLowerCase())) return first.toLowerCase();
  }
  return (service ?? "docker.io").toLowerCase();
}

/** The token service answered, but not with a token; the message completes "the token service of <key> …". */
export class TokenServiceError extends Error {}

/**
 * An anonymous pull token for `repository` from the realm of an upstream's Bearer
 * challenge. Network and guard errors are thrown as they come; a token service that
 * answers without a token throws TokenServiceError.
 */
export async function anonymousPullToken(realm: URL, service: string | undefined, repository: string, upstream: URL, signal?: AbortSignal): Promise<string> {
  const url = new URL(realm);
  if (service) url.searchParams.set("service", service);
  url.searchParams.set("scope", `repository:${repository}:pull`);
  const response = await upstreamFetch(url, { method: "GET", headers: new Headers({ accept: "application/json" }), signal }, upstream);
  if (!response.ok) {
    await response.body?.cancel();
    throw new TokenServiceError(`answered ${response.status}`);
  }
  let body: { token?: unknown; access_token?: unknown };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    throw new TokenServiceError("answered something that is not JSON");
  }
  const token = typeof body.token === "string" ? body.token : typeof body.access_token === "string" ? body.access_token : "";
  if (!token) throw new TokenServiceError("sent no token");
  return token;
}

/** Token prefix that carries a client's own Basic credentials for a Basic-auth upstream. */
const BASIC_TOKEN_PREFIX = "dockerdl-basic.";
const ANONYMOUS_TOKEN = "dockerdl-anonymous";

/**
 * The upstream uses Basic auth (or none). Clients that do the token dance with us get a
 * token that wraps the credentials they just sent us, after checking them upstream; the
 * proxy turns it back into Basic when forwarding. Nothing is stored.
 */
async function basicUpstreamToken(upstream: URL, key: string, authorization: string | null): Promise<Response> {
  if (!authorization?.startsWith("Basic ")) return tokenResponse({ token: ANONYMOUS_TOKEN });
  let response: Response;
  try {
    response = await upstreamFetch(v2Url(upstream, ""), { method: "GET", headers: new Headers({ authorization }) }, upstream);
  } catch (error) {
    return upstreamFailure(error, key);
  }
  await response.body?.cancel();
  if (response.status === 401 || response.status === 403) return registryError(401, "UNAUTHORIZED", `${key} rejected the username or password`);
  return tokenResponse({ token: BASIC_TOKEN_PREFIX + authorization.slice(6) });
}

/** The Authorization to send upstream for the one a client sent us. */
export function upstreamAuthorization(clientAuthorization: string | null): string | null {
  if (!clientAuthorization) return null;
  const bearer = /^Bearer\s+(.+)$/i.exec(clientAuthorization)?.[1];
  if (bearer === ANONYMOUS_TOKEN || bearer === "") return null;
  if (bearer?.startsWith(BASIC_TOKEN_PREFIX)) return `Basic ${bearer.slice(BASIC_TOKEN_PREFIX.length)}`;
  return clientAuthorization;
}
