// How credentials cross the mirror. An upstream's Bearer challenge is rewritten so the
// client comes to our /token (with service=<UPSTREAMS key> and the client's own name for
// the repository). The tokens clients bring back are the upstream's own and are forwarded
// as they are, except the two the mirror makes itself for upstreams with Basic auth or
// none: an anonymous marker, and a sealed token (sealed-token.ts) that carries the
// client's Basic credentials for one upstream only (checked upstream when /token issued
// it; nothing is stored), turned back into Basic here only for that upstream. Where the
// operator set credentials for an upstream (UPSTREAM_AUTH), the upstream's anonymous token
// goes to clients marked as anonymous (ANONYMOUS_TOKEN_PREFIX), so the mirror knows whom it
// may lend the operator's account to (operator.ts); the mark is opened again here.
// A client's own credentials (Basic, a token of its own, a sealed token) go only to the
// upstreams in CREDENTIAL_UPSTREAMS; the others only ever get the anonymous tokens /token
// hands out for them, marked, and so are asked anonymously whatever the client sent.
import { findChallenge, formatChallenge, parseScope, type Challenge } from "../../shared/www-authenticate.ts";
import type { ProxyContext } from "../config.ts";
import { registryErrorResponse } from "../v2/errors.ts";
import type { V2Route } from "../v2/route.ts";
import { openCredentials, sealCredentials } from "./sealed-token.ts";

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

/** Token prefix of the sealed Basic credentials of a Basic-auth upstream. */
const SEALED_TOKEN_PREFIX = "dockerdl-sealed.";

/** The token /token gives anonymous clients of an upstream without a token service. */
export const ANONYMOUS_TOKEN = "dockerdl-anonymous";

/**
 * Prefix of an upstream's anonymous token as /token hands it to anonymous clients of an
 * upstream with UPSTREAM_AUTH. Anyone can write it: it only ever makes a client anonymous.
 */
const ANONYMOUS_TOKEN_PREFIX = `${ANONYMOUS_TOKEN}.`;

export function markAnonymous(upstreamToken: string): string {
  return ANONYMOUS_TOKEN_PREFIX + upstreamToken;
}

/** Whether a client brought no credentials of its own: none, our anonymous token, or a marked one. */
export function isAnonymous(clientAuthorization: string | null): boolean {
  if (!clientAuthorization) return true;
  const bearer = /^Bearer\s+(.*)$/i.exec(clientAuthorization)?.[1];
  return bearer !== undefined && (bearer === "" || bearer === ANONYMOUS_TOKEN || bearer.startsWith(ANONYMOUS_TOKEN_PREFIX));
}

/** The token that carries `authorization` (Basic credentials) back to us, for `upstreamKey` only, sealed with TOKEN_SECRET. */
export async function basicCredentialsToken(authorization: `Basic ${string}`, upstreamKey: string, context: ProxyContext): Promise<string> {
  return SEALED_TOKEN_PREFIX + await sealCredentials(authorization.slice("Basic ".length), upstreamKey, context.config.tokenSecret, context.now());
}

/**
 * Whether a client's Authorization carries any credentials (a token we cannot open
 * included). A marked anonymous token does: what it carries is whatever the client wrote.
 */
export function carriesCredentials(clientAuthorization: string | null): boolean {
  if (!clientAuthorization) return false;
  const bearer = /^Bearer\s+(.*)$/i.exec(clientAuthorization)?.[1];
  return bearer !== ANONYMOUS_TOKEN && bearer !== "";
}

/** Whether the operator lets a client's own credentials go to upstream `upstreamKey` (CREDENTIAL_UPSTREAMS). */
export function acceptsCredentials(upstreamKey: string, context: ProxyContext): boolean {
  return context.config.credentialUpstreams.has(upstreamKey);
}

/**
 * A refusal (401, 403) of a client who brought credentials, by an upstream outside
 * CREDENTIAL_UPSTREAMS, told why they did not help: that upstream was asked anonymously.
 * Anything else is returned as it is. A HEAD's answer has no body to say it in.
 */
export async function explainWithheldCredentials(response: Response, request: Request, route: V2Route, context: ProxyContext): Promise<Response> {
  if (response.status !== 401 && response.status !== 403) return response;
  if (request.method === "HEAD" || !carriesCredentials(request.headers.get("authorization")) || acceptsCredentials(route.key, context)) return response;
  await response.body?.cancel();
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  const message = `${route.key} refused ${route.clientName} to an anonymous request: this mirror does not forward credentials to ${route.key} (its operator may add it to CREDENTIAL_UPSTREAMS)`;
  return registryErrorResponse(response.status, response.status === 401 ? "UNAUTHORIZED" : "DENIED", message, undefined, headers);
}

/**
 * The Authorization to send to upstream `upstreamKey` for the one a client sent us. A
 * sealed token issued for another upstream, altered or expired sends nothing: the
 * upstream's answer to an anonymous request (a challenge) sends the client back to /token.
 * An upstream outside CREDENTIAL_UPSTREAMS gets an anonymous token or nothing.
 */
export async function upstreamAuthorization(clientAuthorization: string | null, upstreamKey: string, context: ProxyContext): Promise<string | null> {
  if (!carriesCredentials(clientAuthorization)) return null;
  const bearer = /^Bearer\s+(.+)$/i.exec(clientAuthorization!)?.[1];
  if (bearer?.startsWith(ANONYMOUS_TOKEN_PREFIX)) {
    const upstreamToken = bearer.slice(ANONYMOUS_TOKEN_PREFIX.length);
    return upstreamToken === "" ? null : `Bearer ${upstreamToken}`;
  }
  if (!acceptsCredentials(upstreamKey, context)) return null;
  if (bearer?.startsWith(SEALED_TOKEN_PREFIX)) {
    const credentials = await openCredentials(bearer.slice(SEALED_TOKEN_PREFIX.length), upstreamKey, context.config.tokenSecret, context.now());
    return credentials === null ? null : `Basic ${credentials}`;
  }
  return clientAuthorization;
}
