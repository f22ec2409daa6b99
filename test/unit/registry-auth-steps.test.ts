// The token dance's steps as shared/registry/auth.ts exports them for the mirror's /token
// and its operator account: the /v2/ ping's challenge, the token request, and the
// answer read with its cap. Each goes through the fetch it is given, nothing else.
import { describe, expect, it } from "vitest";
import { discoverChallenge, NotATokenAnswer, readTokenAnswer, requestToken, TOKEN_ANSWER_LIMIT, tokenUrl } from "../../shared/registry/auth.ts";
import type { HttpResponse } from "../../shared/http.ts";
import { CHUNK, endlessBody } from "../harness/endless-body.ts";
import { scriptedFetch } from "../harness/scripted-fetch.ts";

const asHttp = (response: Response) => response as unknown as HttpResponse;

describe("discoverChallenge", () => {
  it("pings <base>/v2/ anonymously through the given fetch and resolves a relative realm against the base", async () => {
    const fetch = scriptedFetch(() => new Response(null, { status: 401, headers: { "www-authenticate": `Bearer realm="/token",service="reg",scope="repository:x:pull"` } }));
    const challenge = await discoverChallenge(fetch, "https://registry.example/prefix/");
    expect(fetch.calls.map((c) => [c.url, c.init.method, c.init.headers])).toEqual([["https://registry.example/prefix/v2/", "GET", {}]]);
    expect(challenge).toEqual({ scheme: "Bearer", params: { realm: "https://registry.example/token", service: "reg", scope: "repository:x:pull" } });
  });

  it("prefers Bearer over Basic, takes Basic alone, and finds none where the registry asks for none or for a scheme not spoken here", async () => {
    const answer = (status: number, header?: string) => scriptedFetch(() => new Response(null, { status, headers: header ? { "www-authenticate": header } : {} }));
    expect((await discoverChallenge(answer(401, `Basic realm="r", Bearer realm="https://auth.example/token"`), "https://r.example"))?.scheme).toBe("Bearer");
    expect(await discoverChallenge(answer(401, `Basic realm="Registry"`), "https://r.example")).toEqual({ scheme: "Basic", params: { realm: "https://r.example/Registry" } });
    expect(await discoverChallenge(answer(200), "https://r.example")).toBeNull();
    expect(await discoverChallenge(answer(403, `Bearer realm="https://auth.example/token"`), "https://r.example")).toBeNull();
    expect(await discoverChallenge(answer(401, `Negotiate abc==`), "https://r.example")).toBeNull();
    expect(await discoverChallenge(answer(401), "https://r.example")).toBeNull();
  });

  it("lets the caller's fetch refuse: its error is thrown, nothing else is asked", async () => {
    const refusing = scriptedFetch(() => {
      throw new Error("not allowed");
    });
    await expect(discoverChallenge(refusing, "https://r.example")).rejects.toThrow("not allowed");
    expect(refusing.calls).toHaveLength(1);
  });
});

describe("tokenUrl and requestToken", () => {
  it("ask the realm for the service and every scope, accepting JSON, with Basic credentials only when given", async () => {
    const url = tokenUrl("https://auth.example/token?x=1", "reg", ["repository:a:pull", "repository:b:pull"]);
    expect(url.href).toBe("https://auth.example/token?x=1&service=reg&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull");
    const fetch = scriptedFetch(() => new Response("{}"));
    await requestToken(fetch, url);
    await requestToken(fetch, tokenUrl("https://auth.example/token", undefined, []), "Basic YTpi");
    expect(fetch.calls.map((c) => [c.url, c.init.method, c.init.headers])).toEqual([
      [url.href, "GET", { accept: "application/json" }],
      ["https://auth.example/token", "GET", { accept: "application/json", authorization: "Basic YTpi" }],
    ]);
  });

  it("refuse a realm that is not a URL", () => {
    expect(() => tokenUrl("not a url", "reg", [])).toThrow(TypeError);
  });
});

describe("readTokenAnswer", () => {
  const read = (body: string) => readTokenAnswer(asHttp(new Response(body)));

  it("takes token, else OAuth2's access_token, and a positive expires_in; keeps the whole answer", async () => {
    expect(await read(`{"token":"t","access_token":"a","expires_in":300,"issued_at":"x"}`)).toEqual({ token: "t", expiresIn: 300, body: { token: "t", access_token: "a", expires_in: 300, issued_at: "x" } });
    expect(await read(`{"token":"","access_token":"a"}`)).toMatchObject({ token: "a" });
    expect(await read(`{"access_token":"a","expires_in":0}`)).toEqual({ token: "a", body: { access_token: "a", expires_in: 0 } });
  });

  it("gives no token for one that is not a string", async () => {
    expect(await read(`{"token":42}`)).toMatchObject({ token: "" });
    expect(await read(`{"token":{"a":1},"access_token":null}`)).toMatchObject({ token: "" });
  });

  it("refuses what is not a JSON object", async () => {
    for (const body of ["<html>", "null", "[1]", `"token"`]) await expect(read(body)).rejects.toBeInstanceOf(NotATokenAnswer);
  });

  it("stops reading past TOKEN_ANSWER_LIMIT, whatever the body's length", async () => {
    const endless = endlessBody(100 * TOKEN_ANSWER_LIMIT);
    await expect(readTokenAnswer(asHttp(new Response(endless.body)))).rejects.toBeInstanceOf(RangeError);
    expect(endless.pulled()).toBeLessThanOrEqual(TOKEN_ANSWER_LIMIT + 2 * CHUNK);
    expect(endless.cancelled()).toBe(true);
  });
});
