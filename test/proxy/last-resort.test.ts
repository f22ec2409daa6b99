// Failures no handler expected (here: R2 throwing on every call) are answered in the
// spec's or the API's error shape, as a 500 with no stack trace, and every answer of the
// Worker carries X-Content-Type-Options: nosniff.
import { expect } from "vitest";
import { randomBlob, v2Path } from "./blobs.ts";
import { test } from "./mirror.ts";
import { R2_OUTAGE_HEADER } from "./runtime/settle-path.ts";

const STACK = /\n\s+at |\.ts:\d+|\.js:\d+/;

test("a registry request that throws gets a spec-shaped 500 without a stack trace", async ({ mirror }) => {
  const blob = randomBlob(100);
  const response = await mirror.fetch(v2Path("team/app", `blobs/${blob.digest}`), { headers: { [R2_OUTAGE_HEADER]: "1" } });
  expect(response.status).toBe(500);
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  const body = await response.text();
  expect(body).not.toMatch(STACK);
  expect(JSON.parse(body)).toMatchObject({ errors: [{ code: "UNKNOWN", message: expect.stringMatching(/failed unexpectedly/) }] });
});

test("an API request that throws gets a JSON 500 without a stack trace", async ({ mirror }) => {
  const response = await mirror.fetch("/api/popular", { headers: { [R2_OUTAGE_HEADER]: "1" } });
  expect(response.status).toBeGreaterThanOrEqual(500);
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
  const body = await response.text();
  expect(body).not.toMatch(STACK);
  expect(JSON.parse(body)).toMatchObject({ error: { code: expect.any(String) } });
});

test.for(["/v2/", "/token?service=registry.test", "/api/nope", "/not-the-workers"])("%s carries nosniff", async (path, { mirror }) => {
  const response = await mirror.fetch(path);
  await response.body?.cancel();
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
});
