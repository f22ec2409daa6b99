// Which docker config.json / containers auth.json entry holds a registry's credentials:
// docker's hostname rule (scheme and API path dropped, Docker Hub's names as one) and
// podman's repository-path entries, the most specific first.
import { describe, expect, it } from "vitest";
import { helperServerUrl, matchKey } from "../../cli/credentials/registry-key.ts";

const cases: { name: string; keys: string[]; registry: string; repository: string; want?: string }[] = [
  { name: "host", keys: ["ghcr.io"], registry: "ghcr.io", repository: "o/app", want: "ghcr.io" },
  { name: "host:port", keys: ["127.0.0.1:5000", "127.0.0.1:5001"], registry: "127.0.0.1:5001", repository: "x", want: "127.0.0.1:5001" },
  { name: "with scheme and path", keys: ["https://registry.example.test/v2/"], registry: "registry.example.test", repository: "x", want: "https://registry.example.test/v2/" },
  { name: "http scheme", keys: ["http://127.0.0.1:5000"], registry: "127.0.0.1:5000", repository: "x", want: "http://127.0.0.1:5000" },
  { name: "Docker Hub's legacy key", keys: ["https://index.docker.io/v1/"], registry: "docker.io", repository: "library/ubuntu", want: "https://index.docker.io/v1/" },
  { name: "Docker Hub as podman names it", keys: ["docker.io"], registry: "docker.io", repository: "library/ubuntu", want: "docker.io" },
  { name: "other port is another registry", keys: ["127.0.0.1:5000"], registry: "127.0.0.1:5001", repository: "x" },
  { name: "no suffix match", keys: ["evil-ghcr.io", "io"], registry: "ghcr.io", repository: "x" },
  { name: "case-insensitive host", keys: ["GHCR.io"], registry: "ghcr.io", repository: "x", want: "GHCR.io" },
  { name: "podman repository entry wins", keys: ["quay.io", "quay.io/team", "quay.io/team/app"], registry: "quay.io", repository: "team/app", want: "quay.io/team/app" },
  { name: "podman namespace entry", keys: ["quay.io", "quay.io/team"], registry: "quay.io", repository: "team/other", want: "quay.io/team" },
  { name: "podman entry for another namespace", keys: ["quay.io/team"], registry: "quay.io", repository: "teamx/app" },
];

describe("matchKey", () => {
  for (const c of cases) it(c.name, () => expect(matchKey(c.keys, c.registry, c.repository)).toBe(c.want));
});

describe("helperServerUrl", () => {
  it("asks helpers for Docker Hub by its legacy URL, others by host", () => {
    expect(helperServerUrl("docker.io")).toBe("https://index.docker.io/v1/");
    expect(helperServerUrl("127.0.0.1:5000")).toBe("127.0.0.1:5000");
  });
});
