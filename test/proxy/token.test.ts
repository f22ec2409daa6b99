// The mirror's /token in the Workers runtime: it asks the upstream's own realm (found
// from the upstream's /v2/ challenge) for a pull token, with the scope rewritten to the
// upstream's repository name, and answers with that token in the shapes docker and
// podman (GET, `token`) and containerd (POST form, `access_token`) read. A client's
// credentials reach only the upstream the request is for, and the request is bounded.
import { describe, expect } from "vitest";
import { basicAuth } from "./blobs.ts";
import { USER } from "./fake-registry.ts";
import { OTHER_KEY, test, UPSTREAM_KEY } from "./mirror.ts";

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

  test("a POST form's password outside Latin-1 reaches the realm UTF-8 encoded, as Basic credentials do, not a 500", async ({ mirror }) => {
    const password = "пароль✓";
    const start = mirror.upstream.log.length;
    const form = new URLSearchParams({ grant_type: "password", username: USER.username, password, service: UPSTREAM_KEY, scope });
    const response = await mirror.fetch("/token", { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
    // The fake realm knows alice by another password: a refusal, passed on as one.
    expect(response.status).toBe(401);
    const asked = mirror.upstream.log.slice(start).filter((entry) => entry.path.startsWith("/token"));
    expect(asked.map((entry) => entry.authorization)).toEqual([`Basic ${Buffer.from(`${USER.username}:${password}`, "utf8").toString("base64")}`]);
  });

  test("refuses a service that is not in UPSTREAMS", async ({ mirror }) => {
    const response = await mirror.fetch("/token?service=elsewhere.example&scope=repository:x:pull");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: [{ code: "DENIED" }] });
  });

  test("refuses a scope naming another upstream than service=, without asking either upstream", async ({ mirror }) => {
    const [scopes, log] = [mirror.upstream.scopes.length, mirror.upstream.log.length];
    const query = new URLSearchParams({ service: UPSTREAM_KEY, scope: `repository:${OTHER_KEY}/team/app:pull` });
    const response = await mirror.fetch(`/token?${query}`, { headers: { authorization: basicAuth(USER) } });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]).toMatchObject({ code: "DENIED" });
    expect(body.errors[0].message).toContain(`service=${OTHER_KEY}`);
    expect(mirror.upstream.scopes.length).toBe(scopes);
    expect(mirror.upstream.log.slice(log).filter((entry) => entry.authorization !== null)).toEqual([]);
  });

  test("refuses the same in containerd's POST form", async ({ mirror }) => {
    const scopes = mirror.upstream.scopes.length;
    const form = new URLSearchParams({ grant_type: "password", username: USER.username, password: USER.password, service: OTHER_KEY, scope: `repository:${UPSTREAM_KEY}/team/app:pull` });
    const response = await mirror.fetch("/token", { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: [{ code: "DENIED" }] });
    expect(mirror.upstream.scopes.length).toBe(scopes);
  });

  test("names itself, not docker.io, in the bare /v2/ challenge; with that service the scope's host prefix picks the one upstream", async ({ mirror }) => {
    const probe = await mirror.fetch("/v2/");
    expect(probe.status).toBe(401);
    await probe.body?.cancel();
    const service = /service="([^"]+)"/.exec(probe.headers.get("www-authenticate") ?? "")?.[1];
    expect(service).toBeDefined();
    expect(service).not.toBe("docker.io");
    const scopes = mirror.upstream.scopes.length;
    const one = await mirror.fetch(`/token?${new URLSearchParams({ service: service!, scope })}`, { headers: { authorization: basicAuth(USER) } });
    expect(await one.json()).toMatchObject({ token: "user-token-alice" });
    expect(mirror.upstream.scopes.slice(scopes)).toEqual(["repository:team/app:pull"]);
    const both = new URLSearchParams({ service: service! });
    both.append("scope", scope);
    both.append("scope", `repository:${OTHER_KEY}/team/app:pull`);
    const mixed = await mirror.fetch(`/token?${both}`, { headers: { authorization: basicAuth(USER) } });
    expect(mixed.status).toBe(400);
    expect(await mixed.json()).toMatchObject({ errors: [{ code: "DENIED" }] });
    expect(mirror.upstream.scopes.length).toBe(scopes + 1);
  });

  test("answers 413 to a form body past a few KiB", async ({ mirror }) => {
    // Past the 8 KiB cap, yet small enough for the loopback socket's buffers: a body of
    // tens of MiB raced the 413 (the Worker answers and closes before the client has
    // written it all, and the client sees EPIPE, not the answer).
    const big = new Uint8Array(256 * 1024).fill(0x61);
    const response = await mirror.fetch("/token", { method: "POST", body: big, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ errors: [{ code: "UNSUPPORTED" }] });
  });

  test("answers 413 to a streamed form body without a length, stopping after a few KiB", async ({ mirror }) => {
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += chunk.byteLength;
        if (pulled > 30 * 1024 * 1024) controller.close();
        else controller.enqueue(chunk);
      },
    });
    // The Worker answers and closes while the client still sends: the client sees either
    // the 413 or its write cut off (EPIPE), depending on which it notices first.
    const status = await mirror.fetch("/token", { method: "POST", body, duplex: "half", headers: { "content-type": "application/x-www-form-urlencoded" } } as RequestInit)
      .then(async (response) => (await response.body?.cancel(), response.status), (error: Error) => (error.cause as { code?: string } | undefined)?.code);
    expect([413, "EPIPE", "ECONNRESET"]).toContain(status);
    // `pulled` counts what the client queued, socket buffers included (a few MiB on a busy
    // machine), not what the Worker read; reading the whole body would pull all 30 MiB.
    expect(pulled).toBeLessThan(16 * 1024 * 1024);
  });

  test("answers 400 to thousands of scope parameters, without asking upstream", async ({ mirror }) => {
    const scopes = mirror.upstream.scopes.length;
    const response = await mirror.fetch(`/token?service=${UPSTREAM_KEY}${"&scope=repository:a:pull".repeat(2000)}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: [{ code: "UNSUPPORTED" }] });
    expect(mirror.upstream.scopes.length).toBe(scopes);
  });
});
