// WWW-Authenticate parsing as registries send it: table-driven, good and odd inputs.
import { describe, expect, it } from "vitest";
import { findChallenge, formatChallenge, parseChallenges, parseScope } from "../../shared/www-authenticate.ts";

describe("parseChallenges", () => {
  const rows: [string, string, { scheme: string; params: Record<string, string> }[]][] = [
    ["Docker Hub", 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull"',
      [{ scheme: "Bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/ubuntu:pull" } }]],
    ["insufficient scope", 'Bearer realm="https://r/token",service="s",scope="repository:a/b:pull",error="insufficient_scope"',
      [{ scheme: "Bearer", params: { realm: "https://r/token", service: "s", scope: "repository:a/b:pull", error: "insufficient_scope" } }]],
    ["Basic with realm", 'Basic realm="dockerdl-basic"', [{ scheme: "Basic", params: { realm: "dockerdl-basic" } }]],
    ["bare scheme", "Basic", [{ scheme: "Basic", params: {} }]],
    ["spaces around = and ,", 'Bearer realm = "x" , service = "y"', [{ scheme: "Bearer", params: { realm: "x", service: "y" } }]],
    ["upper-case parameter names", 'Bearer Realm="x",SERVICE="y"', [{ scheme: "Bearer", params: { realm: "x", service: "y" } }]],
    ["unquoted values", "Bearer realm=x,service=y", [{ scheme: "Bearer", params: { realm: "x", service: "y" } }]],
    ["escaped quote", 'Bearer realm="a\\"b"', [{ scheme: "Bearer", params: { realm: 'a"b' } }]],
    ["comma inside quotes", 'Bearer realm="x",scope="repository:a:pull,push"', [{ scheme: "Bearer", params: { realm: "x", scope: "repository:a:pull,push" } }]],
    ["two challenges", 'Basic realm="b", Bearer realm="x",service="y"',
      [{ scheme: "Basic", params: { realm: "b" } }, { scheme: "Bearer", params: { realm: "x", service: "y" } }]],
    ["token68 then another challenge", 'Negotiate abc==, Bearer realm="x"',
      [{ scheme: "Negotiate", params: {} }, { scheme: "Bearer", params: { realm: "x" } }]],
    ["empty header", "", []],
    ["a port in the realm", 'Bearer realm="http://127.0.0.1:5000/token"', [{ scheme: "Bearer", params: { realm: "http://127.0.0.1:5000/token" } }]],
  ];
  it.each(rows)("parses %s", (_name, header, expected) => {
    expect(parseChallenges(header)).toEqual(expected);
  });
});

describe("findChallenge and formatChallenge", () => {
  it("finds a scheme case-insensitively, or nothing", () => {
    expect(findChallenge('basic realm="x"', "Basic")?.params.realm).toBe("x");
    expect(findChallenge('Basic realm="x"', "bearer")).toBeUndefined();
    expect(findChallenge(null, "bearer")).toBeUndefined();
  });

  it("round-trips through format and parse, quoting what needs it", () => {
    const challenge = { scheme: "Bearer", params: { realm: 'http://p/token?a="b"', service: "docker.io", scope: "repository:library/ubuntu:pull" } };
    expect(parseChallenges(formatChallenge(challenge))).toEqual([challenge]);
  });
});

describe("parseScope", () => {
  it.each([
    ["repository:library/ubuntu:pull", { type: "repository", name: "library/ubuntu", actions: ["pull"] }],
    ["repository:localhost:5000/a/b:pull,push", { type: "repository", name: "localhost:5000/a/b", actions: ["pull", "push"] }],
    ["registry:catalog:*", { type: "registry", name: "catalog", actions: ["*"] }],
  ])("%s", (scope, expected) => {
    expect(parseScope(scope)).toEqual(expected);
  });

  it.each(["repository", "repository:name", ""])("refuses %j", (scope) => {
    expect(parseScope(scope)).toBeNull();
  });
});
