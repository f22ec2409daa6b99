// How credentials cross the mirror. An upstream's Bearer challenge is rewritten so the
// client comes to our /token (with service=<UPSTREAMS key> and the client's own name for
// the repository). The tokens clients bring back are the upstream's own and are forwarded
// as they are, except the two the mirror makes itself for upstreams with Basic auth or
// none: an anonymous marker, and one that wraps the client's Basic credentials (checked
// upstream when /token issued it; nothing is stored), turned back into Basic here.
import { findChallenge, formatChallenge, parseScope, type Challenge } from "../../shared/www-authenticate.ts";

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

/** Token prefix that carries a client's own Basic credentials for a Basic-auth upstream. */
const BASIC_TOKEN_PREFIX = "dockerdl-basic.";

/** The token /token gives anonymous clients of an upstream without a token service. */
export const ANONYMOUS_TOKEN = "dockerdl-anonymous";

/** The token that carries `authorization` (Basic credentials) back to us. */
export function basicCredentialsToken(authorization: `Basic ${string}`): string {
  return BASIC_TOKEN_PREFIX + authorization.slice("Basic ".length);
}

/** The Authorization to send upstream for the one a client sent us. */
export function upstreamAuthorization(clientAuthorization: string | null): string | null {
  if (!clientAuthorization) return null;
  const bearer = /^Bearer\s+(.+)$/i.exec(clientAuthorization)?.[1];
  if (bearer === ANONYMOUS_TOKEN || bearer === "") return null;
  if (bearer?.startsWith(BASIC_TOKEN_PREFIX)) return `Basic ${bearer.slice(BASIC_TOKEN_PREFIX.length)}`;
  return clientAuthorization;
}
