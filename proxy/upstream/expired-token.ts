// A client's upstream token that expired on the way (issue #25). docker and containers/image
// (skopeo, podman) never keep a token for less than 60 s whatever expires_in says (the
// token spec's default; distribution's client and containers/image both raise a shorter
// lifetime to 60 s), and neither asks again when a blob GET is answered 401: an upstream
// whose tokens live seconds (some registries' and proxies' do; Hub's live 300 s, which a
// slow layer outlives too) fails their pull part way with "invalid username/password".
// The mirror shields them: when the upstream refuses the client's Bearer token as
// expired (401 with error="invalid_token", RFC 6750 3.1), it asks the upstream's realm
// for an anonymous token for the scope of that challenge and sends the request again
// once with it. Anonymous means only what anyone may read: a private repository stays
// refused (the upstream answers the anonymous request 401 too, and that answer is the
// client's), so no one reads more than they could.
import type { HttpRequestInit } from "../../shared/http.ts";
import { readTokenAnswer, requestToken, tokenUrl } from "../../shared/registry/auth.ts";
import { findChallenge } from "../../shared/www-authenticate.ts";

/** The challenge of a 401 that says the Bearer token sent has expired or is invalid; null for any other answer. */
function expiredChallenge(response: Response): { realm: string; service?: string; scope?: string } | null {
  if (response.status !== 401) return null;
  const challenge = findChallenge(response.headers.get("www-authenticate"), "bearer");
  const { realm, service, scope, error } = challenge?.params ?? {};
  if (error !== "invalid_token" || !realm) return null;
  return { realm, ...(service ? { service } : {}), ...(scope ? { scope } : {}) };
}

/** How the realm is asked: upstreamFetch for the upstream, so the address guard and the deadlines apply. */
export type TokenFetch = (url: string, init: HttpRequestInit) => Promise<Response>;

/**
 * `Bearer <anonymous token>` for the scope of `response`'s challenge when `response`
 * refuses a client's token as expired; null when it does not, or no token comes.
 */
export async function anonymousRenewal(response: Response, fetch: TokenFetch): Promise<string | null> {
  const challenge = expiredChallenge(response);
  if (!challenge) return null;
  const answer = await requestToken(fetch, tokenUrl(challenge.realm, challenge.service, challenge.scope ? [challenge.scope] : []));
  if (!answer.ok) {
    await answer.body?.cancel().catch(() => {});
    return null;
  }
  const { token } = await readTokenAnswer(answer).catch(() => ({ token: "" }));
  return token === "" ? null : `Bearer ${token}`;
}
