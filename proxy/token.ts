// GET and POST /token, the auth realm the proxy advertises (upstream/auth.ts rewrites
// upstream challenges to point here with service=<UPSTREAMS key>). It asks that
// upstream's own realm for a token (anonymously or with the client's credentials) and
// answers in the shape docker, podman (GET, `token`) and containerd (POST form,
// `access_token`) expect. The token is the upstream's own: clients send it back and the
// proxy forwards it. An upstream without a token service gets one of ours (auth.ts).
import { findChallenge, parseScope } from "../shared/www-authenticate.ts";
import type { Config } from "./config.ts";
import { ANONYMOUS_TOKEN, basicCredentialsToken } from "./upstream/auth.ts";
import { upstreamFailure, upstreamFetch, v2Url } from "./upstream/fetch.ts";
import { registryError } from "./v2/errors.ts";
import { resolveRepository, RouteError } from "./v2/route.ts";

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

/**
 * The upstream uses Basic auth (or none). Clients that do the token dance with us get a
 * token that wraps the credentials they just sent us, after checking them upstream; the
 * proxy turns it back into Basic when forwarding. Nothing is stored.
 */
async function basicUpstreamToken(upstream: URL, key: string, authorization: string | null): Promise<Response> {
  if (!isBasic(authorization)) return tokenResponse({ token: ANONYMOUS_TOKEN });
  let response: Response;
  try {
    response = await upstreamFetch(v2Url(upstream, ""), { method: "GET", headers: new Headers({ authorization }) }, upstream);
  } catch (error) {
    return upstreamFailure(error, key);
  }
  await response.body?.cancel();
  if (response.status === 401 || response.status === 403) return registryError(401, "UNAUTHORIZED", `${key} rejected the username or password`);
  return tokenResponse({ token: basicCredentialsToken(authorization) });
}

function isBasic(authorization: string | null): authorization is `Basic ${string}` {
  return authorization?.startsWith("Basic ") === true;
}
