// The mirror's /v2/ routes (proxy/v2/route.ts) hold names, tags and digests to the
// grammar image references are parsed with (shared/reference.ts): what one refuses,
// the other does too, and Docker Hub's names get library/ the same way.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../proxy/config.ts";
import { parseV2Path, RouteError } from "../../proxy/v2/route.ts";
import { parseReference } from "../../shared/reference.ts";

const config = loadConfig({ UPSTREAMS: '{"docker.io":"http://127.0.0.1:5000","ghcr.io":"https://ghcr.io"}' });
const route = (path: string, ns?: string) => parseV2Path(path, new URLSearchParams(ns === undefined ? {} : { ns }), config);
const refusal = (path: string) => {
  try {
    route(path);
  } catch (error) {
    return error instanceof RouteError ? `${error.status} ${error.code}` : String(error);
  }
  return "accepted";
};

describe("parseV2Path", () => {
  it("names Docker Hub's official images library/, as references do", () => {
    expect(route("/v2/ubuntu/manifests/22.04")).toMatchObject({ key: "docker.io", upstreamName: "library/ubuntu", clientName: "ubuntu" });
    expect(route("/v2/ghcr.io/o/a/tags/list")).toMatchObject({ key: "ghcr.io", upstreamName: "o/a", reference: "list" });
    expect(route("/v2/ghcr.io/o/a/manifests/1", "ghcr.io")).toMatchObject({ key: "ghcr.io", upstreamName: "o/a" });
    expect(parseReference("ubuntu:22.04").repository).toBe("library/ubuntu");
  });

  it("refuses a name longer than a reference may be, counting the registry and library/", () => {
    const longest = "a".repeat(255 - "docker.io/library/".length);
    expect(refusal(`/v2/${longest}/manifests/latest`)).toBe("accepted");
    expect(() => parseReference(longest)).not.toThrow();
    expect(refusal(`/v2/${longest}a/manifests/latest`)).toBe("400 NAME_INVALID");
    expect(() => parseReference(`${longest}a`)).toThrow();
  });

  it.each([
    ["/v2/Team/app/manifests/latest", "400 NAME_INVALID"],
    ["/v2/team/-app/manifests/latest", "400 NAME_INVALID"],
    ["/v2/team/app/manifests/.tag", "400 TAG_INVALID"],
    [`/v2/team/app/manifests/${"t".repeat(129)}`, "400 TAG_INVALID"],
    [`/v2/team/app/manifests/${"t".repeat(128)}`, "accepted"],
    [`/v2/team/app/manifests/sha256:${"a".repeat(64)}`, "accepted"],
    [`/v2/team/app/blobs/sha256:${"A".repeat(64)}`, "400 DIGEST_INVALID"],
    [`/v2/team/app/blobs/sha512:${"a".repeat(128)}`, "400 DIGEST_INVALID"],
    ["/v2/quay.io/team/app/manifests/latest", "404 NAME_UNKNOWN"],
    ["/v2/localhost/team/manifests/latest", "404 NAME_UNKNOWN"],
  ])("%s: %s", (path, outcome) => {
    expect(refusal(path)).toBe(outcome);
  });
});
