// Malformed requests to the Worker (bad-input-cases.ts) each get a 4xx: never a 5xx,
// never a stack trace, never a hang (each request has its own time limit); the seed
// API's come with the message key and params the web app words them from; a registry the
// mirror does not serve carries the marker clients read (shared/registry/not-served.ts).
import { expect } from "vitest";
import { randomBlob } from "./blobs.ts";
import { BAD_REQUESTS, CACHED_BLOB_PATH, type BadRequest } from "./bad-input-cases.ts";
import type { ApiErrorBody } from "../../shared/seed-api.ts";
import { errorFromResponse } from "../../shared/registry/errors.ts";
import { NOT_SERVED } from "../../shared/registry/not-served.ts";
import { test, UPSTREAM_KEY, type MirrorUnderTest } from "./mirror.ts";

const PER_REQUEST_MS = 10_000;
/** A message key: a code, or a code and which of its wordings. */
const KEY = expect.stringMatching(/^[A-Z_]+(\.[a-z_]+)?$/);
const cached = randomBlob(10_000);
let seeded: Promise<unknown> | undefined;

/** The repositories and the cached blob the cases refer to, set up once per file. */
function seed(mirror: MirrorUnderTest): Promise<unknown> {
  seeded ??= (async () => {
    mirror.upstream.addRepository("team/app", { private: false });
    mirror.upstream.addRepository("team/secret", { private: true });
    await mirror.bucket.put(`blobs/sha256/${cached.hex}`, cached.bytes, { sha256: cached.hex, customMetadata: { visibility: "public", source: "seeded" } });
  })();
  return seeded;
}

async function send(mirror: MirrorUnderTest, request: BadRequest): Promise<Response> {
  const path = request.path === "cached-blob" ? `${CACHED_BLOB_PATH}${cached.digest}` : request.path;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PER_REQUEST_MS} ms`)), PER_REQUEST_MS);
  });
  try {
    return await Promise.race([mirror.fetch(path, request.init), hang]);
  } finally {
    clearTimeout(timer);
  }
}

test("the table has at least 100 malformed requests", () => {
  expect(BAD_REQUESTS.length).toBeGreaterThanOrEqual(100);
});

test.for(BAD_REQUESTS)("$name is refused with a 4xx and no stack trace", async (request, { mirror }) => {
  await seed(mirror);
  const response = await send(mirror, request);
  const body = await response.text();
  expect({ status: response.status, body }).toMatchObject({ status: expect.toSatisfy((s: number) => s >= 400 && s < 500) });
  expect(body).not.toMatch(/\n\s+at |\.ts:\d+/);
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  // The seed API's refusals carry the key and params the web app words them from.
  if (/^\/(api|v1)\//.test(request.path)) expect(JSON.parse(body)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String), key: KEY, params: expect.any(Object) } });
});

test("an /api refusal carries its message key and the names and numbers in it", async ({ mirror }) => {
  const long = await mirror.fetch(`/api/search?q=${"a".repeat(200)}`);
  expect(long.status).toBe(400);
  expect(await long.json()).toEqual({
    error: {
      code: "BAD_REQUEST",
      message: "the search query is 200 characters long; the limit is 100",
      key: "BAD_REQUEST.too_long",
      params: { field: "query", length: "200", limit: "100" },
    },
  } satisfies ApiErrorBody);
  const unknown = await mirror.fetch("/api/image-details?image=evil.example/x");
  expect(unknown.status).toBe(404);
  expect(await unknown.json()).toMatchObject({ error: { code: "UNKNOWN_REGISTRY", key: "UNKNOWN_REGISTRY.not_served", params: { registry: "evil.example", known: expect.stringContaining(UPSTREAM_KEY) } } });
});

test.for([
  ["manifests/%E0%A4%A", "TAG_INVALID"],
  ["manifests/%", "TAG_INVALID"],
  ["blobs/%C0%AF", "DIGEST_INVALID"],
] as const)("a bad percent-encoding in %s is a 400 %s", async ([path, code], { mirror }) => {
  const response = await mirror.fetch(`${CACHED_BLOB_PATH.replace(/blobs\/$/, "")}${path}`);
  expect(response.status).toBe(400);
  expect(await response.json()).toMatchObject({ errors: [{ code }] });
});

test("a registry the mirror does not serve: one wording and one marker in `detail`, by path or by ?ns=, which the client reads", async ({ mirror }) => {
  const errors = [];
  for (const path of ["/v2/evil.example/x/manifests/latest", "/v2/?ns=evil.example"]) {
    const response = await mirror.fetch(path);
    expect(response.status).toBe(404);
    const body = (await response.json()) as { errors: { code: string; message: string; detail?: unknown }[] };
    expect(body.errors).toEqual([{ code: "NAME_UNKNOWN", message: expect.any(String), detail: { reason: NOT_SERVED, registry: "evil.example", serves: expect.arrayContaining([UPSTREAM_KEY]) } }]);
    errors.push(body.errors[0]);
  }
  expect(errors[1]).toEqual(errors[0]);
  const read = await errorFromResponse(new Response(JSON.stringify({ errors }), { status: 404 }), "evil.example/x:latest", "mirror.example");
  expect(read).toMatchObject({ code: "UNKNOWN_REGISTRY", key: "UNKNOWN_REGISTRY.not_served", params: { registry: "evil.example", known: expect.stringContaining(UPSTREAM_KEY) } });
});
