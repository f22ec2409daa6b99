// Image references: Docker's grammar and normalisation, table-driven, plus the short
// forms and file names derived from a parsed reference.
import { describe, expect, it } from "vitest";
import { DockerdlError } from "../../shared/errors.ts";
import {
  defaultFileName,
  familiarName,
  familiarRepository,
  formatReference,
  fullNameLength,
  isDockerHub,
  isPathComponent,
  isTag,
  NAME_MAX,
  namesRegistry,
  normaliseRegistry,
  parseReference,
  registryRepository,
  repoTag,
  type Reference,
} from "../../shared/reference.ts";

const D = `sha256:${"a".repeat(64)}`;

const good: [string, Reference][] = [
  ["ubuntu", { registry: "docker.io", repository: "library/ubuntu", tag: "latest" }],
  ["ubuntu:22.04", { registry: "docker.io", repository: "library/ubuntu", tag: "22.04" }],
  ["  ubuntu:22.04\n", { registry: "docker.io", repository: "library/ubuntu", tag: "22.04" }],
  ["user/app", { registry: "docker.io", repository: "user/app", tag: "latest" }],
  ["user/app:1", { registry: "docker.io", repository: "user/app", tag: "1" }],
  ["docker.io/ubuntu", { registry: "docker.io", repository: "library/ubuntu", tag: "latest" }],
  ["docker.io/library/ubuntu:20.04", { registry: "docker.io", repository: "library/ubuntu", tag: "20.04" }],
  ["index.docker.io/ubuntu", { registry: "docker.io", repository: "library/ubuntu", tag: "latest" }],
  ["registry-1.docker.io/user/app:2", { registry: "docker.io", repository: "user/app", tag: "2" }],
  ["library/library/x", { registry: "docker.io", repository: "library/library/x", tag: "latest" }],
  ["ghcr.io/o/a:tag", { registry: "ghcr.io", repository: "o/a", tag: "tag" }],
  ["GHCR.io/o/a", { registry: "ghcr.io", repository: "o/a", tag: "latest" }],
  ["quay.io/a/b/c/d:v1.2.3-rc_1", { registry: "quay.io", repository: "a/b/c/d", tag: "v1.2.3-rc_1" }],
  ["localhost/a", { registry: "localhost", repository: "a", tag: "latest" }],
  ["localhost:5000/a", { registry: "localhost:5000", repository: "a", tag: "latest" }],
  ["host:5000/a/b/c:tag", { registry: "host:5000", repository: "a/b/c", tag: "tag" }],
  ["192.168.1.10:5000/app:1", { registry: "192.168.1.10:5000", repository: "app", tag: "1" }],
  ["[::1]:5000/app", { registry: "[::1]:5000", repository: "app", tag: "latest" }],
  ["[2001:db8::1]/team/app:x", { registry: "[2001:db8::1]", repository: "team/app", tag: "x" }],
  ["my-registry.example.com/a", { registry: "my-registry.example.com", repository: "a", tag: "latest" }],
  [`ubuntu@${D}`, { registry: "docker.io", repository: "library/ubuntu", digest: D }],
  [`ubuntu:22.04@${D}`, { registry: "docker.io", repository: "library/ubuntu", tag: "22.04", digest: D }],
  [`ghcr.io/o/a@${D}`, { registry: "ghcr.io", repository: "o/a", digest: D }],
  ["x/a_b.c-d__e---f", { registry: "docker.io", repository: "x/a_b.c-d__e---f", tag: "latest" }],
  ["localhost:5000", { registry: "docker.io", repository: "library/localhost", tag: "5000" }],
  ["ubuntu:_under", { registry: "docker.io", repository: "library/ubuntu", tag: "_under" }],
  ["ubuntu:UPPER.case", { registry: "docker.io", repository: "library/ubuntu", tag: "UPPER.case" }],
  [`ubuntu:${"t".repeat(128)}`, { registry: "docker.io", repository: "library/ubuntu", tag: "t".repeat(128) }],
  [`${"a".repeat(237)}`, { registry: "docker.io", repository: `library/${"a".repeat(237)}`, tag: "latest" }],
];

const TAG_RULE = 'a tag is 1 to 128 letters, digits, "_", "." or "-", and cannot start with "." or "-"';
const DIGEST_RULE = "a digest must be sha256: followed by 64 lowercase hex characters";
const COMPONENT_RULE =
  'each part of a repository path must start and end with a lowercase letter or digit, with only ".", "_", "__" or "-" between them';
const REGISTRY_RULE = "a registry is a host name or IP address (IPv6 in brackets), optionally followed by :port";

const bad: [string, string][] = [
  ["", "the image reference is empty"],
  ["   ", "the image reference is empty"],
  ["Ubuntu", '"Ubuntu" is not valid: repository names must be lowercase'],
  ["user/MyApp:1", '"user/MyApp" is not valid: repository names must be lowercase'],
  ["ghcr.io/Owner/app", '"Owner/app" is not valid: repository names must be lowercase'],
  // ubuntu:<tag> and ubuntu@<digest>, each refused naming the part and its rule.
  ...["x!", "", "-x", ".x", "t".repeat(129)].map((tag): [string, string] => [`ubuntu:${tag}`, `tag "${tag}" is not valid: ${TAG_RULE}`]),
  ...["sha256:abc", `sha256:${"A".repeat(64)}`, `sha512:${"a".repeat(128)}`, ""].map((digest): [string, string] => [`ubuntu@${digest}`, `digest "${digest}" is not valid: ${DIGEST_RULE}`]),
  [`ubuntu@${D}@${D}`, `"ubuntu@${D}@${D}" is not valid: it contains more than one "@"`],
  ["a//b", '"a//b" is not valid: the repository path has an empty component (a leading, trailing or doubled "/")'],
  ["/ubuntu", '"/ubuntu" is not valid: the repository path has an empty component (a leading, trailing or doubled "/")'],
  ["ubuntu/", '"ubuntu/" is not valid: the repository path has an empty component (a leading, trailing or doubled "/")'],
  ["ghcr.io/", '"ghcr.io/" is not valid: the repository name is missing after the registry'],
  [":tag", '":tag" is not valid: the repository name is missing'],
  ["-ubuntu", `"-ubuntu" is not valid: ${COMPONENT_RULE} (found "-ubuntu")`],
  ["ubuntu-", `"ubuntu-" is not valid: ${COMPONENT_RULE} (found "ubuntu-")`],
  ["user/a..b", `"user/a..b" is not valid: ${COMPONENT_RULE} (found "a..b")`],
  ["user/a___b", `"user/a___b" is not valid: ${COMPONENT_RULE} (found "a___b")`],
  ["user/_app", `"user/_app" is not valid: ${COMPONENT_RULE} (found "_app")`],
  ["ubuntu 22.04", '"ubuntu 22.04" is not valid: image references cannot contain spaces'],
  ["ub\tuntu", '"ub\\tuntu" is not valid: image references cannot contain spaces'],
  // <registry>/app, refused naming the registry and the rule.
  ...["exa_mple.com", "-bad.com", "host:port", "host:99999", "[::1", "[::1]x", "a.com:1:2"].map((registry): [string, string] => [`${registry}/app`, `registry "${registry}" is not valid: ${REGISTRY_RULE}`]),
  ["a".repeat(64).replace(/a/g, "f"), `"${"f".repeat(64)}" is not valid: a 64-character hex string is an image ID, not a repository name`],
  ["a".repeat(238), "the repository name is 256 characters long with its registry (docker.io/…); the limit is 255"],
  [`ghcr.io/${"a".repeat(300)}`, "the repository name is 308 characters long with its registry (ghcr.io/…); the limit is 255"],
  ["ubuntu:22.04:1", `"ubuntu:22.04" is not valid: ${COMPONENT_RULE} (found "ubuntu:22.04")`],
  ["ubüntu", `"ubüntu" is not valid: ${COMPONENT_RULE} (found "ubüntu")`],
];

describe("parseReference", () => {
  it.each(good)("normalises %j", (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  it.each(bad)("refuses %j with a message naming the wrong part", (input, message) => {
    const parse = () => parseReference(input);
    expect(parse).toThrow(DockerdlError);
    expect(parse).toThrow(expect.objectContaining({ code: "BAD_REFERENCE", message, hint: expect.stringMatching(/./) }));
  });

  it("has at least 40 table rows", () => {
    expect(good.length + bad.length).toBeGreaterThanOrEqual(40);
  });
});

describe("formatting a reference", () => {
  const forms: [string, string, string, string | undefined][] = [
    // RepoTags in full: podman qualifies a short one with localhost/ (reference.ts repoTag).
    ["ubuntu:22.04", "docker.io/library/ubuntu:22.04", "ubuntu:22.04", "docker.io/library/ubuntu:22.04"],
    ["ubuntu", "docker.io/library/ubuntu:latest", "ubuntu:latest", "docker.io/library/ubuntu:latest"],
    ["user/app:1", "docker.io/user/app:1", "user/app:1", "docker.io/user/app:1"],
    ["library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest", "docker.io/library/a/b:latest"],
    ["ghcr.io/o/a:tag", "ghcr.io/o/a:tag", "ghcr.io/o/a:tag", "ghcr.io/o/a:tag"],
    ["localhost:5000/a", "localhost:5000/a:latest", "localhost:5000/a:latest", "localhost:5000/a:latest"],
    [`ubuntu@${D}`, `docker.io/library/ubuntu@${D}`, `ubuntu@${D}`, undefined],
    [`ubuntu:22.04@${D}`, `docker.io/library/ubuntu:22.04@${D}`, `ubuntu:22.04@${D}`, "docker.io/library/ubuntu:22.04"],
  ];

  it.each(forms)("%j → full, familiar and RepoTag forms", (input, full, familiar, tag) => {
    const ref = parseReference(input);
    expect(formatReference(ref)).toBe(full);
    expect(familiarName(ref)).toBe(familiar);
    expect(repoTag(ref)).toBe(tag);
  });

  it("round-trips the full form through the parser", () => {
    for (const [input] of good) {
      const ref = parseReference(input);
      expect(parseReference(formatReference(ref))).toEqual(ref);
      expect(parseReference(familiarName(ref))).toEqual(ref);
    }
  });

  it("gives the repository without tag as docker shows it", () => {
    expect(familiarRepository(parseReference("docker.io/library/nginx:1"))).toBe("nginx");
    expect(familiarRepository(parseReference("quay.io/a/b"))).toBe("quay.io/a/b");
  });
});

describe("defaultFileName", () => {
  it("joins name, tag and platform with safe characters", () => {
    const arm64 = { os: "linux", architecture: "arm64" };
    expect(defaultFileName(parseReference("ubuntu:22.04"), arm64)).toBe("ubuntu_22.04_linux_arm64.tar");
    expect(defaultFileName(parseReference("ghcr.io/o/a:1.0"), { os: "linux", architecture: "arm", variant: "v7" }))
      .toBe("ghcr.io_o_a_1.0_linux_arm_v7.tar");
    expect(defaultFileName(parseReference("localhost:5000/a"))).toBe("localhost_5000_a_latest.tar");
    expect(defaultFileName(parseReference("[::1]:5000/a"))).toBe("1_5000_a_latest.tar");
  });

  it("names a digest-only reference by the digest's start", () => {
    expect(defaultFileName(parseReference(`ubuntu@${D}`), { os: "linux", architecture: "amd64" }))
      .toBe("ubuntu_sha256-aaaaaaaaaaaa_linux_amd64.tar");
  });
});

describe("the grammar the mirror's routes share", () => {
  it("takes Docker Hub under each of its names, in any case", () => {
    for (const name of ["docker.io", "index.docker.io", "Registry-1.Docker.io"]) {
      expect(isDockerHub(name)).toBe(true);
      expect(normaliseRegistry(name)).toBe("docker.io");
    }
    expect(isDockerHub("docker.io.example")).toBe(false);
    expect(normaliseRegistry("GHCR.io")).toBe("ghcr.io");
  });

  it("gives Docker Hub's one-component names library/, and no one else's", () => {
    expect(registryRepository("docker.io", "ubuntu")).toBe("library/ubuntu");
    expect(registryRepository("docker.io", "user/app")).toBe("user/app");
    expect(registryRepository("ghcr.io", "app")).toBe("app");
  });

  it("tells a registry from a first path component as docker does", () => {
    expect(["localhost", "ghcr.io", "host:5000", "[::1]:5000"].map(namesRegistry)).toEqual([true, true, true, true]);
    expect(["library", "user", "local-host"].map(namesRegistry)).toEqual([false, false, false]);
  });

  it("checks path components and tags", () => {
    expect(["a", "a.b", "a_b", "a__b", "a---b", "0"].every(isPathComponent)).toBe(true);
    expect(["", "A", "a..b", "a___b", "-a", "a-", "a/b"].some(isPathComponent)).toBe(false);
    expect(["latest", "_x", "1.0-rc.1", "t".repeat(128)].every(isTag)).toBe(true);
    expect(["", ".x", "-x", "t".repeat(129), "a b", "a:b"].some(isTag)).toBe(false);
  });

  it("counts NAME_MAX over the registry and the repository as the registry knows it", () => {
    const path = "a".repeat(NAME_MAX - "docker.io/library/".length);
    expect(fullNameLength("docker.io", registryRepository("docker.io", path))).toBe(NAME_MAX);
    expect(() => parseReference(path)).not.toThrow();
    expect(() => parseReference(`${path}a`)).toThrow(/limit is 255/);
  });
});
