// Credentials a client gives the mirror go only to the upstreams the operator lists in
// CREDENTIAL_UPSTREAMS (issue #26): here registry.test (the fixture's default) and not
// other.test. Whatever a client sends for other.test — Basic at /token or on a /v2/
// request, containerd's password form, a refresh token, a token of the user's — that
// upstream is asked anonymously, and a refusal says why.
import { describe, expect } from "vitest";
import { basicAuth, manifestFor, pullToken, randomBlob } from "./blobs.ts";
import { USER } from "./fake-registry.ts";
import { OTHER_KEY, test, UPSTREAM_KEY, type MirrorUnderTest } from "./mirror.ts";

const scope = `repository:${OTHER_KEY}/team/secret:pull`;

/** The upstream requests from `start` on that carried any Authorization, or named a refresh token. */
const credentialed = (mirror: MirrorUnderTest, start: number) =>
  mirror.upstream.log.slice(start).filter((r) => r.authorization !== null && r.authorization !== "Bearer anonymous-token" || r.path.includes("refresh_token"));

/** A token from the mirror's /token for `repository` of other.test, the client giving `basic`. */
async function otherToken(mirror: MirrorUnderTest, repository: string, basic: string): Promise<string> {
  const response = await mirror.fetch(`/token?${new URLSearchParams({ service: OTHER_KEY, scope: `repository:${OTHER_KEY}/${repository}:pull` })}`, { headers: { authorization: basic } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

function images(mirror: MirrorUnderTest) {
  for (const [repository, visibility] of [["team/secret", true], ["team/open", false]] as const) {
    const layer = randomBlob(1_000);
    mirror.upstream.addRepository(repository, { private: visibility });
    mirror.upstream.addBlob(repository, layer.digest, layer.bytes);
    mirror.upstream.addManifest(repository, "v1", manifestFor(layer));
  }
}

describe("an upstream not in CREDENTIAL_UPSTREAMS", () => {
  test("is asked for an anonymous token at /token, whatever credentials the client gave", async ({ mirror }) => {
    const start = mirror.upstream.log.length;
    const get = await mirror.fetch(`/token?${new URLSearchParams({ service: OTHER_KEY, scope })}`, { headers: { authorization: basicAuth(USER) } });
    expect(get.status).toBe(200);
    const { token } = (await get.json()) as { token: string };
    expect(token).not.toContain("user-token-alice");
    const forms: Record<string, string>[] = [
      { grant_type: "password", username: USER.username, password: USER.password, service: OTHER_KEY, scope },
      { grant_type: "refresh_token", refresh_token: "the-users-refresh-token", service: OTHER_KEY, scope },
    ];
    for (const form of forms) {
      const post = await mirror.fetch("/token", { method: "POST", body: new URLSearchParams(form), headers: { "content-type": "application/x-www-form-urlencoded" } });
      expect(post.status, form.grant_type).toBe(200);
      expect(JSON.stringify(await post.json()), form.grant_type).not.toContain("user-token-alice");
    }
    // No service: the scope's host prefix names other.test (skopeo --creds docker://mirror/other.test/…).
    const wide = await mirror.fetch(`/token?${new URLSearchParams({ scope })}`, { headers: { authorization: basicAuth(USER) } });
    expect(wide.status).toBe(200);
    await wide.body?.cancel();
    expect(credentialed(mirror, start)).toEqual([]);
  });

  test("gets no credentials with a /v2/ request, and its refusal says why", async ({ mirror }) => {
    images(mirror);
    // Basic, the user's token from registry.test, the one /token gave for other.test.
    const given = [basicAuth(USER), `Bearer ${await pullToken(mirror, "team/secret", basicAuth(USER))}`, `Bearer ${await otherToken(mirror, "team/secret", basicAuth(USER))}`];
    const start = mirror.upstream.log.length;
    for (const authorization of given) {
      for (const method of ["GET", "HEAD"]) {
        const response = await mirror.fetch(`/v2/${OTHER_KEY}/team/secret/manifests/v1`, { method, headers: { authorization } });
        expect(response.status, `${method} with ${authorization}`).toBe(401);
        if (method === "GET") {
          const { errors } = (await response.json()) as { errors: { code: string; message: string }[] };
          expect(errors[0].code).toBe("UNAUTHORIZED");
          expect(errors[0].message).toContain(`does not forward credentials to ${OTHER_KEY}`);
          expect(errors[0].message).toContain("CREDENTIAL_UPSTREAMS");
        }
      }
    }
    expect(credentialed(mirror, start)).toEqual([]);
    // A public repository there is still pulled, anonymously, by a client that gave credentials.
    const token = await otherToken(mirror, "team/open", basicAuth(USER));
    const open = await mirror.fetch(`/v2/${OTHER_KEY}/team/open/manifests/v1`, { headers: { authorization: `Bearer ${token}` } });
    expect(open.status).toBe(200);
    await open.body?.cancel();
    await mirror.settle();
    expect(credentialed(mirror, start)).toEqual([]);
  });
});

test("an upstream in CREDENTIAL_UPSTREAMS still gets the client's credentials", async ({ mirror }) => {
  const start = mirror.upstream.scopes.length;
  const response = await mirror.fetch(`/token?${new URLSearchParams({ service: UPSTREAM_KEY, scope: `repository:${UPSTREAM_KEY}/team/secret:pull` })}`, { headers: { authorization: basicAuth(USER) } });
  expect(await response.json()).toMatchObject({ token: "user-token-alice" });
  expect(mirror.upstream.scopes.slice(start)).toEqual(["repository:team/secret:pull"]);
});
