// GET and POST /token, the auth realm the proxy advertises (upstream/auth.ts rewrites
// upstream challenges to point here with service=<UPSTREAMS key>). It asks that
// upstream's own realm for a token (anonymously or with the client's credentials) and
// answers in the shape docker, podman (GET, `token`) and containerd (POST form,
// `access_token`) expect. The token is the upstream's own: clients send it back and the
// proxy forwards it. An upstream without a token service gets one of ours (auth.ts).
// The realm is found (the /v2/ challenge) and asked with the shared client's steps
// (shared/registry/auth.ts), each request through upstreamFetch and its address guard.
// A client's credentials only ever go to the one upstream the request is for
// (upstreamForTokenRequest), and only when that upstream is in CREDENTIAL_UPSTREAMS: for
// any other, Basic credentials, containerd's password form, a refresh token and
// `account` are dropped and the realm is asked anonymously. The request itself is
// bounded (form size, scope count), and so is the realm's answer (TOKEN_ANSWER_LIMIT:
// more, or no JSON object, is a 502). The operator's credentials (UPSTREAM_AUTH) are never
// used here: an anonymous client gets the upstream's anonymous token, marked as such when
// the operator set credentials for that upstream or the upstream takes no client
// credentials (upstream/auth.ts), whatever repository its scopes name.
import { readBody } from "../shared/http.ts";
import { basicAuthorization, discoverChallenge, NotATokenAnswer, readTokenAnswer, requestToken, TOKEN_ANSWER_LIMIT, tokenUrl, type TokenAnswer } from "../shared/registry/auth.ts";
import { parseScope } from "../shared/www-authenticate.ts";
import type { Config, ProxyContext, UpstreamDeadlines } from "./config.ts";
import { acceptsCredentials, ANONYMOUS_TOKEN, basicCredentialsToken, markAnonymous } from "./upstream/auth.ts";
import { SEALED_TOKEN_TTL } from "./upstream/sealed-token.ts";
import { realmFetch, upstreamFailure, upstreamFetch, v2Url } from "./upstream/fetch.ts";
import { registryErrorResponse, retryAfterSeconds, upstreamRateLimitMessage } from "./v2/errors.ts";
import { resolveRepository, RouteError } from "./v2/route.ts";

interface UpstreamRealm {
  realm: string;
  service?: string;
}

/** A token request's form is a handful of short fields; anything larger is not one. */
const MAX_FORM_BYTES = 8 * 1024;
/** Scopes in one token request: clients ask for one or two (a pull, a cross-repository mount). */
const MAX_SCOPES = 32;
/** How long an upstream's realm is remembered. */
const REALM_TTL_MS = 10 * 60_000;

const realmCache = new Map<string, { value: UpstreamRealm | null; expires: number }>();

/** The upstream's Bearer realm, from its /v2/ challenge; null when it has none (Basic auth, or none at all). */
async function discoverRealm(upstream: URL, now: number, deadlines: UpstreamDeadlines): Promise<UpstreamRealm | null> {
  const cached = realmCache.get(upstream.href);
  if (cached && cached.expires > now) return cached.value;
  const challenge = await discoverChallenge(realmFetch(upstream, deadlines), upstream.href);
  const bearer = challenge?.scheme.toLowerCase() === "bearer" && challenge.params.realm ? challenge : null;
  const value = bearer && { realm: bearer.params.realm, service: bearer.params.service };
  realmCache.set(upstream.href, { value, expires: now + REALM_TTL_MS });
  return value;
}

export async function handleToken(request: Request, context: ProxyContext): Promise<Response> {
  const { config } = context;
  const url = new URL(request.url);
  let params = url.searchParams;
  let authorization = request.headers.get("authorization");
  let grantType: string | null = null;
  if (request.method === "POST") {
    let body: Uint8Array;
    try {
      body = await readBody(request, MAX_FORM_BYTES);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      return registryErrorResponse(413, "UNSUPPORTED", `a token request's form may be at most ${MAX_FORM_BYTES} bytes`);
    }
    const form = new URLSearchParams(new TextDecoder().decode(body));
    params = form;
    grantType = form.get("grant_type");
    const username = form.get("username");
    const password = form.get("password");
    if (grantType === "password" && username !== null && password !== null) {
      authorization = basicAuthorization({ username, password });
    }
  } else if (request.method !== "GET") {
    return registryErrorResponse(405, "UNSUPPORTED", "use GET or POST for /token");
  }
  const scopeParams = params.getAll("scope");
  const scopes = scopeParams.length > MAX_SCOPES ? [] : scopeParams.flatMap((s) => s.split(" ")).filter(Boolean);
  if (scopeParams.length > MAX_SCOPES || scopes.length > MAX_SCOPES) {
    return registryErrorResponse(400, "UNSUPPORTED", `a token request may name at most ${MAX_SCOPES} scopes`);
  }
  const chosen = upstreamForTokenRequest(scopes, params.get("service"), url.host, config);
  if (typeof chosen !== "string") return chosen;
  const key = chosen;
  const upstream = config.upstreams.get(key);
  if (!upstream) {
    // A mirror-wide request whose scopes name no configured registry falls to docker.io,
    // which an operator may have left out of UPSTREAMS.
    return registryErrorResponse(400, "DENIED", `registry "${key}" is not one this mirror serves (${[...config.upstreams.keys()].join(", ")})`);
  }
  const takesCredentials = acceptsCredentials(key, context);
  if (!takesCredentials) {
    // Whatever the client gave is for upstreams the operator trusts with it; this one is asked anonymously.
    authorization = null;
    grantType = null;
  }
  // Scopes are checked before anything is asked upstream: a repository name the registry
  // routes would refuse is refused here too, never passed on to a token service.
  const upstreamScopes: string[] = [];
  for (const scope of scopes) {
    const mapped = mapScope(scope, key, config);
    if (mapped instanceof RouteError) return registryErrorResponse(mapped.status, mapped.code, `scope "${scope}": ${mapped.message}`);
    upstreamScopes.push(mapped);
  }
  let realm: UpstreamRealm | null;
  try {
    realm = await discoverRealm(upstream, context.now(), config.upstreamDeadlines);
  } catch (error) {
    return upstreamFailure(error, key);
  }
  if (!realm) return basicUpstreamToken(upstream, key, authorization, context);
  let target: URL;
  try {
    target = tokenUrl(realm.realm, realm.service, upstreamScopes);
  } catch (error) {
    return upstreamFailure(error, key);
  }
  for (const passthrough of takesCredentials ? ["account", "client_id", "offline_token"] : ["client_id"]) {
    const value = params.get(passthrough);
    if (value !== null) target.searchParams.set(passthrough, value);
  }
  if (grantType === "refresh_token" && params.get("refresh_token")) {
    target.searchParams.set("refresh_token", params.get("refresh_token")!);
  }
  let response: Response;
  try {
    response = await requestToken(realmFetch(upstream, config.upstreamDeadlines), target, isBasic(authorization) ? authorization : undefined);
  } catch (error) {
    return upstreamFailure(error, key);
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    return registryErrorResponse(401, "UNAUTHORIZED", `${key} rejected the username or password`);
  }
  if (!response.ok) {
    const retryAfter = response.headers.get("retry-after");
    await response.body?.cancel();
    const headers = retryAfter ? { "retry-after": retryAfter } : undefined;
    if (response.status === 429) return registryErrorResponse(429, "TOOMANYREQUESTS", upstreamRateLimitMessage(key, retryAfterSeconds(response.headers, context.now()), config.upstreamAuth.has(key)), undefined, headers);
    return registryErrorResponse(502, "UNKNOWN", `token service of ${key} answered ${response.status}`, undefined, headers);
  }
  let answer: TokenAnswer;
  try {
    answer = await readTokenAnswer(response);
  } catch (error) {
    // Past the cap the read has stopped and the connection is released (readBody cancels it).
    if (error instanceof RangeError) return registryErrorResponse(502, "UNKNOWN", `token service of ${key} answered more than ${TOKEN_ANSWER_LIMIT} bytes, which is no token answer`);
    if (error instanceof NotATokenAnswer) return registryErrorResponse(502, "UNKNOWN", `token service of ${key} answered something that is not JSON`);
    return upstreamFailure(error, key);
  }
  const anonymous = !isBasic(authorization) && grantType !== "refresh_token";
  // Marked, the token says it is anonymous: the only kind an upstream outside CREDENTIAL_UPSTREAMS is sent.
  const token = anonymous && answer.token !== "" && (config.upstreamAuth.has(key) || !takesCredentials) ? markAnonymous(answer.token) : answer.token;
  return tokenResponse({ ...answer.body, token, access_token: token }, context.now());
}

/** The scope to ask the upstream for, in its own repository name; a RouteError for a name the registry routes refuse. */
function mapScope(scope: string, key: string, config: Config): string | RouteError {
  const parsed = parseScope(scope);
  if (!parsed || parsed.type !== "repository") return scope;
  try {
    // Only ever ask for pull: this is a pull-through mirror.
    return `repository:${resolveRepository(parsed.name, key, config).upstreamName}:pull`;
  } catch (error) {
    if (error instanceof RouteError) return error;
    throw error;
  }
}

function tokenResponse(body: Record<string, unknown>, now: number): Response {
  return new Response(JSON.stringify({ expires_in: 300, issued_at: new Date(now).toISOString(), ...body }), {
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

/**
 * Which upstream a token request is for, and so the only one the client's credentials
 * may reach; or the refusal. service=<UPSTREAMS key> (the challenges of a repository's
 * answers, and /v2/?ns=<key>) binds the request to that upstream: a scope naming another
 * configured upstream by its host prefix is refused, never forwarded there. The mirror's
 * own name (the challenge of a bare /v2/, which docker, skopeo and podman then use for
 * every repository, naming registries by host prefix) or no service leaves the choice
 * to the scopes' host prefix (docker.io without one), and they must all name the same.
 */
function upstreamForTokenRequest(scopes: string[], service: string | null, mirrorHost: string, config: Config): string | Response {
  const asked = service?.toLowerCase() ?? null;
  const mirrorWide = asked === null || asked === mirrorHost.toLowerCase();
  if (!mirrorWide && !config.upstreams.has(asked)) {
    return registryErrorResponse(400, "DENIED", `service "${asked}" is not a registry this mirror serves (${[...config.upstreams.keys()].join(", ")})`);
  }
  const named = new Map<string, string>();
  for (const scope of scopes) {
    const parsed = parseScope(scope);
    if (!parsed || parsed.type !== "repository") continue;
    const first = parsed.name.split("/")[0].toLowerCase();
    const prefixed = parsed.name.includes("/") && config.upstreams.has(first);
    if (mirrorWide) named.set(prefixed ? first : "docker.io", scope);
    else if (prefixed && first !== asked) {
      return registryErrorResponse(400, "DENIED", `scope "${scope}" names registry ${first}, but this token request is for ${asked} (service=${asked}): credentials given for one registry are never sent to another; ask with service=${first}`);
    }
  }
  if (!mirrorWide) return asked;
  if (named.size > 1) {
    return registryErrorResponse(400, "DENIED", `scopes ${[...named.values()].join(" and ")} name different registries (${[...named.keys()].join(", ")}): ask for a token for one registry at a time`);
  }
  return named.keys().next().value ?? "docker.io";
}

/**
 * The upstream uses Basic auth (or none). Clients that do the token dance with us get a
 * token that seals the credentials they just sent us for this upstream only, after
 * checking them upstream; the proxy opens it into Basic when forwarding to that upstream.
 * Nothing is stored.
 */
async function basicUpstreamToken(upstream: URL, key: string, authorization: string | null, context: ProxyContext): Promise<Response> {
  if (!isBasic(authorization)) return tokenResponse({ token: ANONYMOUS_TOKEN }, context.now());
  let response: Response;
  try {
    response = await upstreamFetch(v2Url(upstream, ""), { method: "GET", headers: new Headers({ authorization }), deadlines: context.config.upstreamDeadlines }, upstream);
  } catch (error) {
    return upstreamFailure(error, key);
  }
  await response.body?.cancel();
  if (response.status === 401 || response.status === 403) return registryErrorResponse(401, "UNAUTHORIZED", `${key} rejected the username or password`);
  return tokenResponse({ token: await basicCredentialsToken(authorization, key, context), expires_in: SEALED_TOKEN_TTL }, context.now());
}

function isBasic(authorization: string | null): authorization is `Basic ${string}` {
  return authorization?.startsWith("Basic ") === true;
}
