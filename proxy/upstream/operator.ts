// The operator's own account at an upstream (the UPSTREAM_AUTH secret), lent to clients
// that brought no credentials, so their pulls count against the account's pull limit
// rather than the anonymous one of the Worker's address. Lent only for a repository the
// upstream has just served without credentials (public-probe.ts, at most a minute ago),
// with a token asked for that one repository (pull only), so neither the account's
// private repositories nor a token good for another repository is ever in play. /token
// never uses it, and nothing it obtains is put in an answer or a log.
import { discoverChallenge, pullScope, RegistryAuth } from "../../shared/registry/auth.ts";
import { formatChallenge } from "../../shared/www-authenticate.ts";
import type { ProxyContext, UpstreamCredentials } from "../config.ts";
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

/** Token caches, one per upstream and account (the config's UPSTREAM_AUTH), kept for the isolate's life. */
const accounts = new Map<string, Account>();

/**
 * The operator's Authorization for an anonymous client's request for `path` of the
 * route's repository; null when there is none to lend: no credentials for this upstream,
 * a repository not proven public, or an account the upstream refused (logged by key only;
 * the request then goes upstream as the client's own).
 */
export async function operatorAuthorization(route: V2Route, path: string, context: ProxyContext): Promise<string | null> {
  const account = context.config.upstreamAuth.get(route.key);
  if (account === undefined || route.kind === "tags") return null;
  if (!(await anonymouslyReadable(route, path, PUBLIC_PROOF_MS, context.now))) return null;
  const { auth, scopes } = accountFor(route, account, context.now);
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

function accountFor(route: V2Route, account: UpstreamCredentials, now: () => number): Account {
  const id = `${route.key} ${route.upstream.href} ${account.username}`;
  let found = accounts.get(id);
  if (found === undefined || found.scopes.size >= MAX_SCOPES) {
    found = { auth: new RegistryAuth(guardedFetch(route.upstream), account, now), scopes: new Set() };
    accounts.set(id, found);
  }
  return found;
}

/** The first time: the upstream's /v2/ challenge says how to authenticate (Bearer realm or Basic). */
async function firstAuthorization(route: V2Route, auth: RegistryAuth, scope: string): Promise<string | null> {
  const base = route.upstream.href;
  const challenge = await discoverChallenge(guardedFetch(route.upstream), base);
  if (challenge === null) return null;
  // A scope in the ping's challenge names some other repository: ask for ours alone.
  if (challenge.scheme.toLowerCase() === "bearer") delete challenge.params.scope;
  return auth.answerChallenge(base, formatChallenge(challenge), scope, undefined, route.key);
}
