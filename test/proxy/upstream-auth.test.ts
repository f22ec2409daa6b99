// The operator's account at an upstream (UPSTREAM_AUTH), in the Workers runtime: lent to
// clients that bring no credentials, for repositories the upstream serves anonymously;
// never for a private repository (the fake upstream's user token reads every repository,
// so a token lent wrongly would be served), never through /token, and never seen in an
// answer. Here the operator's account is the fake registry's user, alice.
import { describe, expect } from "vitest";
import { basicAuth, manifestFor, pullToken, randomBlob, v2Path } from "./blobs.ts";
import { USER } from "./fake-registry.ts";
import { testWith, UPSTREAM_KEY, type MirrorUnderTest } from "./mirror.ts";

const test = testWith({ UPSTREAM_AUTH: JSON.stringify({ [UPSTREAM_KEY]: USER }) });

/** What must never leave the Worker: the password, the Basic header, the token the account got. */
const SECRETS = [USER.password, basicAuth(USER).slice("Basic ".length), "user-token-alice"];

/** Every answer a test read, headers and body, to look for the secrets in. */
const seen: string[] = [];

async function fetchSeen(mirror: MirrorUnderTest, path: string, init?: RequestInit): Promise<Response> {
  const response = await mirror.fetch(path, init);
  const body = await response.text();
  seen.push(`${response.status} ${path}\n${headerLines(response)}\n\n${body}`);
  return new Response(body, { status: response.status, headers: response.headers });
}

function image(mirror: MirrorUnderTest, repository: string, visibility: { private: boolean }) {
  const layer = randomBlob(2_000);
  const manifest = manifestFor(layer);
  mirror.upstream.addRepository(repository, visibility);
  mirror.upstream.addBlob(repository, layer.digest, layer.bytes);
  mirror.upstream.addManifest(repository, "v1", manifest);
  return { layer, manifest };
}

/** The Authorization each upstream request under `repository` carried. */
const sentFor = (mirror: MirrorUnderTest, repository: string, from: number) =>
  mirror.upstream.log.slice(from).filter((r) => r.path.startsWith(`/v2/${repository}/`)).map((r) => `${r.method} ${r.path.split("/").slice(-2, -1)[0]} ${r.authorization}`);

describe("UPSTREAM_AUTH", () => {
  test("an anonymous client's pull of a public image goes upstream with the operator's token, asked for that repository", async ({ mirror }) => {
    const { layer, manifest } = image(mirror, "team/public", { private: false });
    const [log, scopes] = [mirror.upstream.log.length, mirror.upstream.scopes.length];
    const bare = await fetchSeen(mirror, v2Path("team/public", "manifests/v1"));
    expect(bare.status).toBe(200);
    expect(bare.headers.get("docker-content-digest")).toBe(manifest.digest);
    const marked = await pullToken(mirror, "team/public");
    expect(marked).toMatch(/^dockerdl-anonymous\./);
    const blob = await fetchSeen(mirror, v2Path("team/public", `blobs/${layer.digest}`), { headers: { authorization: `Bearer ${marked}` } });
    expect(blob.status).toBe(200);
    // What the client fetched went as the operator's; the probe that proved the repository public went anonymously.
    const sent = sentFor(mirror, "team/public", log);
    expect(sent).toContain("GET manifests Bearer user-token-alice");
    expect(sent).toContain("GET blobs Bearer user-token-alice");
    expect(sent.filter((s) => s.endsWith("Bearer anonymous-token")).length).toBeGreaterThan(0);
    expect(mirror.upstream.scopes.slice(scopes)).toContain("repository:team/public:pull");
    await mirror.settle();
  });

  test("an anonymous client cannot read a private repository the operator's account can, with or without a token from /token", async ({ mirror }) => {
    image(mirror, "team/public-too", { private: false });
    image(mirror, "team/secret", { private: true });
    const log = mirror.upstream.log.length;
    // The account is lent on this mirror (so a refusal below is not for want of it)…
    expect((await fetchSeen(mirror, v2Path("team/public-too", "manifests/v1"))).status).toBe(200);
    expect(sentFor(mirror, "team/public-too", log)).toContain("GET manifests Bearer user-token-alice");
    // …but not for the private repository, whichever way an anonymous client asks.
    const scoped = await fetchSeen(mirror, `/token?${new URLSearchParams({ service: UPSTREAM_KEY, scope: `repository:${UPSTREAM_KEY}/team/secret:pull` })}`);
    expect(scoped.status).toBe(200);
    const { token } = (await scoped.json()) as { token: string };
    expect(token).toBe("dockerdl-anonymous.anonymous-token");
    for (const authorization of [undefined, `Bearer ${token}`, "Bearer dockerdl-anonymous"]) {
      const headers = authorization ? { authorization } : undefined;
      for (const method of ["GET", "HEAD"]) {
        const answer = await fetchSeen(mirror, v2Path("team/secret", "manifests/v1"), { method, headers });
        expect(answer.status, `${method} with ${authorization}`).toBe(401);
      }
    }
    expect(sentFor(mirror, "team/secret", log).filter((s) => s.includes("user-token-alice"))).toEqual([]);
    // The account's own user, signing in, still reads it.
    const own = await pullToken(mirror, "team/secret", basicAuth(USER));
    expect((await fetchSeen(mirror, v2Path("team/secret", "manifests/v1"), { headers: { authorization: `Bearer ${own}` } })).status).toBe(200);
    seen.pop(); // that answer is the user's own, signed in with the account's password
    await mirror.settle();
  });

  test("no answer of the Worker carries the password or a token the account obtained", async ({ mirror }) => {
    image(mirror, "team/open", { private: false });
    const log = mirror.upstream.log.length;
    for (const path of ["/v2/", v2Path("team/open", "manifests/v1"), v2Path("team/open", "manifests/missing"), v2Path("team/open", "tags/list"),
      `/token?service=${UPSTREAM_KEY}&scope=repository:${UPSTREAM_KEY}/team/open:pull`, `/token?service=${UPSTREAM_KEY}&scope=repository:${UPSTREAM_KEY}/team/secret:pull`,
      `/token?service=${UPSTREAM_KEY}`]) {
      await fetchSeen(mirror, path);
    }
    expect(sentFor(mirror, "team/open", log)).toContain("GET manifests Bearer user-token-alice");
    expect(seen.length).toBeGreaterThan(10);
    for (const answer of seen) for (const secret of SECRETS) expect(answer).not.toContain(secret);
    await mirror.settle();
  });
});

const misconfigured = testWith({ UPSTREAM_AUTH: JSON.stringify({ "docker.io": USER }) });

misconfigured("a bad UPSTREAM_AUTH is a misconfiguration error in each endpoint's shape, naming the key, without the password or a stack", async ({ mirror }) => {
  for (const [path, shape] of [[v2Path("team/app", "manifests/v1"), "errors"], ["/token?service=registry.test", "errors"], ["/api/search?q=zoo", "error"]] as const) {
    const response = await mirror.fetch(path);
    expect(response.status, path).toBe(500);
    const body = await response.text();
    expect(body).toContain(`mirror misconfigured: UPSTREAM_AUTH names \\"docker.io\\", which is not a registry in UPSTREAMS`);
    expect(JSON.parse(body)).toHaveProperty(shape);
    expect(body).not.toMatch(/\n\s+at |\.ts:\d+/);
    for (const secret of SECRETS) expect(body).not.toContain(secret);
  }
});

function headerLines(response: Response): string {
  const lines: string[] = [];
  response.headers.forEach((value, name) => lines.push(`${name}: ${value}`));
  return lines.join("\n");
}
