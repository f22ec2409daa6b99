// Input checking for the seed API: the GET and POST forms read the same fields, and
// every kind of bad input is refused with a status and a message that says what is wrong.
import { describe, expect, it } from "vitest";
import { ApiError } from "../../proxy/api/errors.ts";
import { MAX_BODY_BYTES, optionalInt, readParams, requireText } from "../../proxy/api/input.ts";

const names = { query: ["q", "query"], limit: ["limit"] };

describe("readParams", () => {
  it("reads GET query parameters by any of their spellings", async () => {
    expect(await readParams(new Request("http://x/api/search?q=nginx&limit=5"), names)).toEqual({ query: "nginx", limit: "5" });
    expect(await readParams(new Request("http://x/api/search?query=redis"), names)).toEqual({ query: "redis" });
  });

  it("reads a POST JSON object", async () => {
    const request = new Request("http://x/api/search", { method: "POST", headers: { "content-type": "application/json" }, body: '{"query":"nginx","limit":5}' });
    expect(await readParams(request, names)).toEqual({ query: "nginx", limit: 5 });
  });

  it.each([
    ["bad JSON", "{", "application/json", 400, "not valid JSON"],
    ["an empty body", "", "application/json", 400, "empty"],
    ["a JSON string", '"nginx"', "application/json", 400, "JSON object"],
    ["null", "null", "application/json", 400, "JSON object"],
    ["an unknown field", '{"query":"x","sort":"stars"}', "application/json", 400, '"sort"'],
    ["a form", "query=x", "application/x-www-form-urlencoded", 415, "application/json"],
    ["too much", JSON.stringify({ query: "x".repeat(MAX_BODY_BYTES) }), "application/json", 413, "larger"],
  ])("refuses %s", async (_, body, contentType, status, part) => {
    const request = new Request("http://x/api/search", { method: "POST", headers: { "content-type": contentType }, body });
    const reading = readParams(request, names);
    await expect(reading).rejects.toThrow(ApiError);
    await expect(reading).rejects.toMatchObject({ status, message: expect.stringContaining(part) });
  });
});

describe("requireText and optionalInt", () => {
  it.each([
    [{}, "missing"],
    [{ query: null }, "missing"],
    [{ query: "  " }, "empty"],
    [{ query: 5 }, "must be a string"],
    [{ query: "x".repeat(101) }, "101 characters"],
    [{ query: "a\nb" }, "control characters"],
  ])("requireText refuses %j", (params, part) => {
    const read = () => requireText(params, "query", "the search query", 100);
    expect(read).toThrow(ApiError);
    expect(read).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining(part) }));
  });

  it("trims text", () => {
    expect(requireText({ query: "  nginx " }, "query", "q", 100)).toBe("nginx");
  });

  it.each([
    [undefined, 25],
    ["", 25],
    ["7", 7],
    [7, 7],
    [" 100 ", 100],
  ])("optionalInt reads %j as %d", (value, expected) => {
    expect(optionalInt({ limit: value }, "limit", 25, 1, 100)).toBe(expected);
  });

  it.each([["0"], [101], ["1.5"], [2.5], ["ten"], [true], ["1e2"]])("optionalInt refuses %j", (value) => {
    const read = () => optionalInt({ limit: value }, "limit", 25, 1, 100);
    expect(read).toThrow(ApiError);
    expect(read).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining('"limit"') }));
  });
});
