// A zoo member's token service: anonymous pull tokens for the scopes asked, in the shape
// the registry it emulates answers (members.ts cites each): Hub's {token, access_token,
// expires_in, issued_at}, gcr's {expires_in, issued_at, token}, ghcr's, quay's and ECR
// Public's bare {token}. A wrong `service` is refused as those registries refuse it.
// Basic credentials make the token an account's (a wrong password is a 401); a private
// repository's scope is granted to its owner alone, as Hub grants nothing it would refuse.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MemberSpec } from "./members.ts";
import { specError } from "./serve.ts";
import type { ZooState } from "./state.ts";

/** Answers a token request; returns the status sent. */
export function tokenAnswer(spec: MemberSpec, state: ZooState, req: IncomingMessage, res: ServerResponse): number {
  const url = new URL(req.url ?? "/", "http://zoo");
  if (!spec.auth || req.method !== "GET") {
    specError(res, 405, "UNSUPPORTED", "token requests are GETs here");
    return 405;
  }
  if (url.searchParams.get("service") !== spec.auth.service) {
    specError(res, 400, "DENIED", `unknown service ${url.searchParams.get("service") ?? "(none)"}`);
    return 400;
  }
  const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? "")?.[1];
  let account: string | undefined;
  if (basic !== undefined) {
    const [username, ...rest] = Buffer.from(basic, "base64").toString().split(":");
    if (state.accounts.get(username) !== rest.join(":")) {
      specError(res, 401, "UNAUTHORIZED", "incorrect username or password");
      return 401;
    }
    account = username;
  }
  const owner = (scope: string) => state.privateRepositories.get(`${spec.id}/${scope.split(":")[1]}`);
  const scopes = url.searchParams.getAll("scope").flatMap((s) => s.split(" "))
    .filter((s) => /^repository:[^:]+:pull(,push)?$/.test(s))
    .filter((s) => owner(s) === undefined || owner(s) === account);
  const seconds = spec.quirks.tokenSeconds ?? state.tokenSeconds;
  const token = state.issueToken(spec.id, scopes.map((s) => s.replace(/,push$/, "")), account, seconds);
  const issued = new Date().toISOString();
  const body = spec.auth.shape === "hub"
    ? { token, access_token: token, expires_in: seconds, issued_at: issued }
    : spec.auth.shape === "gcr"
      ? { expires_in: seconds, issued_at: issued, token }
      : { token };
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  return 200;
}
