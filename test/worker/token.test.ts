// The mirror's /token in the Workers runtime: it asks the upstream's own realm (found
// from the upstream's /v2/ challenge) for a pull token, with the scope rewritten to the
// upstream's repository name, and answers with that token in the shapes docker and
// podman (GET, `token`) and containerd (POST form, `access_token`) read.
import { describe, expect } from "vitest";
import { basicAuth } from "./blobs.ts";
import { USER } from "./fake-registry.ts";
import { test, UPSTREAM_KEY } from "./mirror.ts";

const scope = `repository:${UPSTREAM_KEY}/team/app:pull`;

describe("/token", () => {
  test("answers a GET with the upstream's anonymous token, asking for the upstream's repository name", async ({ mirror }) => {
    const scopes = mirror.upstream.scopes.length;
    const response = await mirror.fetch(`/token?service=${UPSTREAM_KEY}&scope=${encodeURIComponent(scope)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toMatchObject({ token: "anonymous-token", access_token: "anonymous-token" });
    expect(mirror.upstream.scopes.slice(scopes)).toEqual(["repository:team/app:pull"]);
  });

  test("passes the client's Basic credentials to the upstream's realm and answers with the user's token", async ({ mirror }) => {
    const response = await mirror.fetch(`/token?service=${UPSTREAM_KEY}&scope=${encodeURIComponent(scope)}`, { headers: { authorization: basicAuth(USER) } });
    expect(await response.json()).toMatchObject({ token: "user-token-alice" });
    const wrong = await mirror.fetch(`/token?service=${UPSTREAM_KEY}&scope=${encodeURIComponent(scope)}`, { headers: { authorization: basicAuth({ ...USER, password: "nope" }) } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ errors: [{ code: "UNAUTHORIZED" }] });
  });

  test("answers containerd's POST form with access_token", async ({ mirror }) => {
    const form = new URLSearchParams({ grant_type: "password", username: USER.username, password: USER.password, service: UPSTREAM_KEY, scope, client_id: "containerd-client" });
    const response = await mirror.fetch("/token", { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ access_token: "user-token-alice", token: "user-token-alice" });
  });

  test("refuses a service that is not in UPSTREAMS", async ({ mirror }) => {
    const response = await mirror.fetch("/token?service=elsewhere.example&scope=repository:x:pull");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: [{ code: "DENIED" }] });
  });
});
