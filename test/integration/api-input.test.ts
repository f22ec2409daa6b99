// Bad input anywhere in the seed API gets a clear JSON 4xx, never a 500 or an HTML page:
// empty and oversized queries, bad JSON, wrong methods, unknown endpoints and fields,
// bad image references.
import { describe, expect, it } from "vitest";
import { worker } from "../harness/injected.ts";
import type { ApiErrorBody } from "../../shared/seed-api.ts";
import { expectApiError, getJson, postJson } from "./api-helpers.ts";


const post = (path: string, body: string, contentType = "application/json") =>
  getJson<unknown>(`${worker}${path}`, { method: "POST", headers: { "content-type": contentType }, body });

describe("the seed API refuses bad input with a clear 4xx", () => {
  it.each([
    ["an empty query", () => postJson(`${worker}/api/search`, { query: "   " }), 400, "empty"],
    ["a missing query", () => getJson(`${worker}/api/search`), 400, "missing"],
    ["an oversized query", () => getJson(`${worker}/api/search?q=${"a".repeat(101)}`), 400, "limit is 100"],
    ["a query with control characters", () => postJson(`${worker}/api/search`, { query: "ng\u0000inx" }), 400, "control"],
    ["a query that is not a string", () => postJson(`${worker}/api/search`, { query: 42 }), 400, "must be a string"],
    ["a limit out of range", () => getJson(`${worker}/api/search?q=nginx&limit=1000`), 400, "between 1 and 100"],
    ["a limit that is not a number", () => getJson(`${worker}/api/search?q=nginx&limit=ten`), 400, "whole number"],
    ["a page of 0", () => postJson(`${worker}/api/search`, { query: "nginx", page: 0 }), 400, "between"],
    ["bad JSON", () => post("/api/search", "{query: nginx"), 400, "not valid JSON"],
    ["an empty body", () => post("/api/search", ""), 400, "empty"],
    ["a JSON array", () => post("/api/search", "[1,2]"), 400, "JSON object"],
    ["an unknown field", () => postJson(`${worker}/api/search`, { query: "nginx", limt: 5 }), 400, '"limt"'],
    ["a form body", () => post("/api/search", "query=nginx", "application/x-www-form-urlencoded"), 415, "application/json"],
    ["a body over 16 KiB", () => post("/api/search", JSON.stringify({ query: "x".repeat(20_000) })), 413, "larger"],
    ["docker search without q", () => getJson(`${worker}/v1/search`), 400, "q"],
    ["docker search with n=0", () => getJson(`${worker}/v1/search?q=nginx&n=0`), 400, '"n"'],
  ])("%s", async (_, call, status, part) => {
    await expectApiError(call(), status, "BAD_REQUEST", part);
  });

  it.each([
    ["an empty image", { image: "" }, "empty"],
    ["upper case", { image: "Ubuntu:22.04" }, "lowercase"],
    ["a bad tag", { image: "ubuntu:-bad" }, "tag"],
    ["a bad digest", { image: "ubuntu@sha256:123" }, "digest"],
    ["spaces", { image: "ubuntu 22.04" }, "spaces"],
  ])("image-details refuses %s as BAD_REFERENCE or BAD_REQUEST", async (_, body, part) => {
    const { status, body: answer } = await postJson<ApiErrorBody>(`${worker}/api/image-details`, body);
    expect(status).toBe(400);
    expect(["BAD_REFERENCE", "BAD_REQUEST"]).toContain(answer.error.code);
    expect(answer.error.message.toLowerCase()).toContain(part);
  });

  it("names the registry when it is not one the mirror serves", async () => {
    await expectApiError(getJson(`${worker}/api/image-details?image=evil.example/x/y:1`), 404, "UNKNOWN_REGISTRY", "docker.io");
  });

  it.each([
    ["DELETE", "/api/search", "GET or POST"],
    ["PUT", "/api/image-details", "GET or POST"],
    ["POST", "/api/popular", "GET"],
    ["POST", "/v1/search", "GET"],
  ])("refuses %s %s with 405 and Allow", async (method, path, part) => {
    const response = await fetch(`${worker}${path}`, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toContain("GET");
    const body = (await response.json()) as ApiErrorBody;
    expect(body.error.code).toBe("METHOD_NOT_ALLOWED");
    expect(body.error.message).toContain(part);
  });

  it("answers an unknown endpoint with a JSON 404 listing the real ones", async () => {
    await expectApiError(getJson(`${worker}/api/nope`), 404, "NOT_FOUND", "/api/search");
  });

  it("answers CORS preflights for the PWA and other allowed origins", async () => {
    const response = await fetch(`${worker}/api/search`, {
      method: "OPTIONS",
      headers: { origin: "https://example.org", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-methods")).toContain("POST");
  });
});
