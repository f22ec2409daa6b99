// What the Worker serves on the PWA's origin, where the app keeps credentials in
// IndexedDB (issue #26 point 2): an upstream's tag list is relayed only with an exact JSON
// media type (never `text/html;x=json`, which once went out as 200 text/html with a
// script), and every answer of the Worker carries `Content-Security-Policy: default-src
// 'none'; sandbox` and nosniff, so nothing it sends can run as a page of the app.
import { expect } from "vitest";
import { manifestFor, pullToken, randomBlob, v2Path } from "./blobs.ts";
import { HTML_PAGE } from "./hostile.ts";
import { test, type MirrorUnderTest } from "./mirror.ts";

const WORKER_CSP = "default-src 'none'; sandbox";

/** A public repository with the tag v1, whose tag list answers with `kind` if given; a token for it. */
async function tagged(mirror: MirrorUnderTest, repository: string, kind?: "html-json-parameter" | "json-charset") {
  mirror.upstream.addRepository(repository, { private: false });
  mirror.upstream.addManifest(repository, "v1", manifestFor(randomBlob(100)));
  if (kind) mirror.upstream.misbehave(repository, "tags/list", kind);
  return `Bearer ${await pullToken(mirror, repository)}`;
}

test("a tag list upstream sends as text/html;x=json is a spec-shaped 502, never the page", async ({ mirror }) => {
  const authorization = await tagged(mirror, "hostile/tags-html", "html-json-parameter");
  const response = await mirror.fetch(v2Path("hostile/tags-html", "tags/list"), { headers: { authorization } });
  expect(response.status).toBe(502);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await response.text();
  expect(body).not.toContain(HTML_PAGE);
  expect(body).not.toContain("<script");
  expect(JSON.parse(body)).toMatchObject({ errors: [{ code: "UNKNOWN" }] });
});

test("a tag list as application/json, with or without a charset, is relayed", async ({ mirror }) => {
  for (const [repository, kind] of [["team/tags", undefined], ["team/tags-charset", "json-charset"]] as const) {
    const authorization = await tagged(mirror, repository, kind);
    const response = await mirror.fetch(v2Path(repository, "tags/list"), { headers: { authorization } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ name: repository, tags: ["v1"] });
  }
});

/** Requests of each kind the Worker answers: what to ask, once the fake upstream holds it. */
const ANSWERS: [string, (mirror: MirrorUnderTest) => Promise<[string, RequestInit?]>][] = [
  ["the /v2/ probe", async () => ["/v2/"]],
  ["/token", async () => ["/token?service=registry.test"]],
  ["an API error", async () => ["/api/nope"]],
  ["a path that is not the Worker's (no assets bound here)", async () => ["/not-the-workers"]],
  ["a tag list", async (mirror) => [v2Path("team/csp", "tags/list"), { headers: { authorization: await tagged(mirror, "team/csp") } }]],
  ["a blob", async (mirror) => {
    const blob = randomBlob(1000);
    const authorization = await tagged(mirror, "team/csp-blob");
    mirror.upstream.addBlob("team/csp-blob", blob.digest, blob.bytes);
    return [v2Path("team/csp-blob", `blobs/${blob.digest}`), { headers: { authorization } }];
  }],
];

test.for(ANSWERS)("%s carries the Worker's Content-Security-Policy and nosniff", async ([, ask], { mirror }) => {
  const response = await mirror.fetch(...(await ask(mirror)));
  await response.body?.cancel();
  expect(response.status).toBeLessThan(500);
  expect(response.headers.get("content-security-policy")).toBe(WORKER_CSP);
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
});
