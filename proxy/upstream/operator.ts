// The operator's own account at an upstream (the UPSTREAM_AUTH secret), lent to clients
// that brought no credentials, so their pulls count against the account's pull limit
// rather than the anonymous one of the Worker's address. Lent only for a repository the
// upstream has just served without credentials (public-probe.ts, at most a minute ago),
// with a token asked for that one repository (pull only), so neither the account's
// private repositories nor a token good for another repository is ever in play. /token
// never uses it, and nothing it obtains is put in an answer or a log.
import { discardBody } from "../../shared/http.ts";
import { pullScope, RegistryAuth } from "../../shared/registry/auth.ts";
import { findChallenge, formatChallenge } from "../../shared/www-authenticate.ts";
import type { UpstreamCredentials } from "../config.ts";
import type { V2Route } from "../v2/route.ts";
import { guardedFetch } from "./client.ts";
import { anonymouslyReadable } from "./public-probe.ts";

/** How old a "public" verdict may be when the account is lent on it. */
const PUBLIC_PROOF_MS = 60_000;
/** Repositories one token cache serves before a new one starts (tokens are per repository). */
const MAX_SCOPES = 1000;

interface Account {
  auth: RegistryAuth;
  scopes: Set<string>;
}

/** Set by the entry from the config for each request, as the token secret is (auth.ts). */
let credentials = new Map<string, UpstreamCredentials>();
const accounts = new Map<string, Account>();

export function useUpstreamAuth(upstreamAuth: Map<string, UpstreamCredentials>): void {
  credentials = upstreamAuth;
}

/** Whether the operator set credentials for upstream `key`. */
export function hasUpstreamAuth(key: string): boolean {
  return credentials.has(key);
}

/**
 * The operator's Authorization for an anonymous client's request for `path` of the
 * route's repository; null when there is none to lend: no credentials for this upstream,
 * a repository not proven public, or an account the upstream refused (logged by key only;
 * the request then goes upstream as the client's own).
 */
export async function operatorAuthorization(route: V2Route, path: string): Promise<string | null> {
  const account = credentials.get(route.key);
  if (account === undefined || route.kind === "tags") return null;
  if (!(await anonymouslyReadable(route, path, PUBLIC_PROOF_MS))) return null;
  const { auth, scopes } = accountFor(route, account);
  const base = route.upstream.href;
  const scope = pullScope(route.upstreamName);
  scopes.add(scope);
  try {
    return (await auth.authorization(base, scope)) ?? (await firstAuthorization(route, auth, scope));
  } catch (error) {
    console.warn(`UPSTREAM_AUTH for ${route.key} not used: ${error instanceof Error ? error.message : "unknown error"}`);
    return null;
  }
}

function accountFor(route: V2Route, account: UpstreamCredentials): Account {
  const id = `${route.key} ${route.upstream.href} ${account.username}`;
  let found = accounts.get(id);
  if (found === undefined || found.scopes.size >= MAX_SCOPES) {
    found = { auth: new RegistryAuth(guardedFetch(route.upstream), account), scopes: new Set() };
    accounts.set(id, found);
  }
  return found;
}

/** The first time: the upstream's /v2/ challenge says how to authenticate (Bearer realm or Basic). */
async function firstAuthorization(route: V2Route, auth: RegistryAuth, scope: string): Promise<string | null> {
  const base = route.upstream.href;
  const response = await guardedFetch(route.upstream)(`${base.replace(/\/+$/, "")}/v2/`, { method: "GET", headers: {} });
  await discardBody(response);
  if (response.status !== 401) return null;
  let challenge = response.headers.get("www-authenticate");
  const bearer = findChallenge(challenge, "bearer");
  if (bearer) {
    // A scope in the ping's challenge names some other repository: ask for ours alone.
    delete bearer.params.scope;
    challenge = formatChallenge(bearer);
  }
  return auth.answerChallenge(base, challenge, scope, undefined, route.key);
}
