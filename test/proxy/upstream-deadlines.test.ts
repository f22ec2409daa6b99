// An upstream that stops answering (issue #25): a manifest, a tag list or a token realm
// whose headers never come no longer holds the client's request open; past
// UPSTREAM_HEADERS_TIMEOUT (1 s here) the client gets a 504 in the registry's error shape
// naming the upstream and the step.
import { afterEach, describe, expect } from "vitest";
import { manifestFor, pullToken, randomBlob, v2Path } from "./blobs.ts";
import { releaseStalled } from "./hostile.ts";
import { testWith, UPSTREAM_KEY, type MirrorUnderTest } from "./mirror.ts";

const test = testWith({ UPSTREAM_HEADERS_TIMEOUT: "1" });

afterEach(() => releaseStalled());

let repositories = 0;

/** A public repository with an image tagged "1"; its name. */
function repositoryWithImage(mirror: MirrorUnderTest): string {
  const repository = `deadlines/repo-${++repositories}`;
  const layer = randomBlob(1000);
  const manifest = manifestFor(layer);
  mirror.upstream.addRepository(repository, { private: false });
  mirror.upstream.addBlob(repository, layer.digest, layer.bytes);
  mirror.upstream.addManifest(repository, "1", manifest);
  return repository;
}

/** The answer, with how long it took. */
async function timed(answer: Promise<Response>): Promise<{ response: Response; body: { errors: { code: string; message: string }[] }; seconds: number }> {
  const started = performance.now();
  const response = await answer;
  const body = (await response.json()) as { errors: { code: string; message: string }[] };
  return { response, body, seconds: (performance.now() - started) / 1000 };
}

function expectTimeout({ response, body, seconds }: Awaited<ReturnType<typeof timed>>, step: RegExp): void {
  expect(response.status).toBe(504);
  expect(body.errors[0].code).toBe("UNKNOWN");
  expect(body.errors[0].message).toContain(`registry ${UPSTREAM_KEY} timed out`);
  expect(body.errors[0].message).toMatch(step);
  expect(body.errors[0].message).toContain("UPSTREAM_HEADERS_TIMEOUT");
  // The 1 s deadline, not the platform's patience.
  expect(seconds).toBeLessThan(10);
}

describe("an upstream whose headers never come", () => {
  test("a manifest: 504 naming the upstream and the manifest", async ({ mirror }) => {
    const repository = repositoryWithImage(mirror);
    const authorization = `Bearer ${await pullToken(mirror, repository)}`;
    mirror.upstream.misbehave(repository, "1", "stall-headers");
    expectTimeout(await timed(mirror.fetch(v2Path(repository, "manifests/1"), { headers: { authorization } })), new RegExp(`/v2/${repository}/manifests/1 did not answer within 1 s`));
    await mirror.settle();
  });

  test("a tag list: 504 naming the upstream and tags/list", async ({ mirror }) => {
    const repository = repositoryWithImage(mirror);
    const authorization = `Bearer ${await pullToken(mirror, repository)}`;
    mirror.upstream.misbehave(repository, "tags/list", "stall-headers");
    expectTimeout(await timed(mirror.fetch(v2Path(repository, "tags/list"), { headers: { authorization } })), new RegExp(`/v2/${repository}/tags/list did not answer`));
    await mirror.settle();
  });

  test("the token realm: /token answers 504 naming the upstream and its realm", async ({ mirror }) => {
    const repository = repositoryWithImage(mirror);
    mirror.upstream.stallTokens(true);
    try {
      const query = new URLSearchParams({ service: UPSTREAM_KEY, scope: `repository:${UPSTREAM_KEY}/${repository}:pull` });
      expectTimeout(await timed(mirror.fetch(`/token?${query}`)), /GET http:\/\/127\.0\.0\.1:\d+\/token did not answer/);
    } finally {
      mirror.upstream.stallTokens(false);
    }
    await mirror.settle();
  });
});
