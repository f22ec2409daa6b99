// Real clients pull through the mirror (the Worker under wrangler dev, in front of the
// harness registries): skopeo and podman by host, containerd with a hosts.toml mirror
// (which sends ?ns=<registry>). Public, multi-arch, by digest, nested names, private
// images with and without credentials, and other registries by host prefix.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { test as base } from "../harness/fixtures-vitest.ts";
import { fixtureImage, harness, worker } from "../harness/injected.ts";
import { podman, skopeoCopy, startContainerd, type Containerd } from "../harness/mirror-clients.ts";
import { REGISTRY_SERVICE } from "../harness/registry.ts";

const host = new URL(worker).host;
const creds = `${harness.user.username}:${harness.user.password}`;
const basicCreds = `${harness.basicUser.username}:${harness.basicUser.password}`;
const tmp = () => mkdtempSync(join(tmpdir(), "dockerdl-proxy-clients-"));

interface Manifest {
  config: { digest: string };
  layers: { digest: string }[];
}

/**
 * The layer digests skopeo wrote into an OCI layout. oci: converts Docker manifests and
 * configs to OCI ones (new digests), but layers stay the same bytes.
 */
function copiedBlobs(dir: string): string[] {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(readFileSync(join(dir, "blobs", "sha256", index.manifests[0].digest.slice(7)), "utf8")) as Manifest;
  return manifest.layers.map((l) => l.digest);
}

/** The same, read straight from the harness's token-auth registry, not through the mirror. */
async function upstreamBlobs(repository: string, reference: string, basic?: string): Promise<string[]> {
  const tokenUrl = `${harness.tokenServer}/token?service=${REGISTRY_SERVICE}&scope=repository:${repository}:pull`;
  const tokenResponse = await fetch(tokenUrl, basic ? { headers: { authorization: `Basic ${Buffer.from(basic).toString("base64")}` } } : {});
  const { token } = (await tokenResponse.json()) as { token: string };
  const response = await fetch(`${harness.registry}/v2/${repository}/manifests/${reference}`, {
    headers: { authorization: `Bearer ${token}`, accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json" },
  });
  const manifest = (await response.json()) as Manifest;
  return manifest.layers.map((l) => l.digest);
}

describe("skopeo through the mirror", () => {
  it("copies a public single-arch image", async () => {
    const dir = join(tmp(), "oci");
    const result = await skopeoCopy(host, "test/single:v1", dir);
    expect(result.code, result.stderr).toBe(0);
    expect(copiedBlobs(dir)).toEqual(await upstreamBlobs("test/single", "v1"));
  });

  it("picks one platform of a multi-arch index with --override-arch", async () => {
    const dir = join(tmp(), "oci");
    const result = await skopeoCopy(host, "test/multi:v1", dir, ["--override-arch", "arm64"]);
    expect(result.code, result.stderr).toBe(0);
    expect(copiedBlobs(dir)).toEqual(await upstreamBlobs("test/multi", fixtureImage("test/multi").platforms["linux/arm64/v8"]));
  });

  it("copies by digest and a nested repository name", async () => {
    const byDigest = join(tmp(), "oci");
    const digest = fixtureImage("test/list").platforms["linux/amd64"];
    expect((await skopeoCopy(host, `test/list@${digest}`, byDigest)).code).toBe(0);
    expect(copiedBlobs(byDigest)).toEqual(await upstreamBlobs("test/list", digest));
    const nested = join(tmp(), "oci");
    expect((await skopeoCopy(host, "a/b/c:v1", nested)).code).toBe(0);
    expect(copiedBlobs(nested)).toEqual(await upstreamBlobs("a/b/c", "v1"));
  });

  it("copies a private image with credentials and is refused without them", async () => {
    const refused = await skopeoCopy(host, "private/secret:v1", join(tmp(), "oci"));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/denied|unauthorized|authentication required/i);
    const dir = join(tmp(), "oci");
    const allowed = await skopeoCopy(host, "private/secret:v1", dir, ["--src-creds", creds]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(copiedBlobs(dir)).toEqual(await upstreamBlobs("private/secret", "v1", creds));
  });

  it("reaches other registries by host prefix (token auth and htpasswd)", async () => {
    const viaAuth = join(tmp(), "oci");
    expect((await skopeoCopy(host, "auth.test/test/single:v1", viaAuth)).code).toBe(0);
    expect(copiedBlobs(viaAuth)).toEqual(await upstreamBlobs("test/single", "v1"));
    const tool = harness.basicFixtures.find((f) => f.repository === "team/tool")!;
    const viaBasic = join(tmp(), "oci");
    const result = await skopeoCopy(host, "basic.test/team/tool:v1", viaBasic, ["--src-creds", basicCreds]);
    expect(result.code, result.stderr).toBe(0);
    expect(copiedBlobs(viaBasic).length).toBe(1);
    expect(tool.layerCount).toBe(1);
    expect((await skopeoCopy(host, "basic.test/team/tool:v1", join(tmp(), "oci"))).code).not.toBe(0);
  });

  it("is refused for a registry that is not in UPSTREAMS", async () => {
    const result = await skopeoCopy(host, "evil.example/x/y:latest", join(tmp(), "oci"));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/not configured on this mirror|NAME_UNKNOWN|unknown/i);
  });
});

describe("podman through the mirror", () => {
  const dir = tmp();
  const client = podman(dir);

  it("pulls a public image, a platform of a multi-arch index, and by digest", async () => {
    const single = await client.pull(`${host}/test/single:v1`);
    expect(single.code, single.stderr).toBe(0);
    const multi = await client.pull(`${host}/test/multi:v1`, ["--platform", "linux/arm/v7"]);
    expect(multi.code, multi.stderr).toBe(0);
    const arch = await client.inspect(`${host}/test/multi:v1`, "{{.Architecture}}/{{.Os}}");
    expect(arch.stdout.trim()).toBe("arm/linux");
    const digest = fixtureImage("a/b/c").digest;
    const byDigest = await client.pull(`${host}/a/b/c@${digest}`);
    expect(byDigest.code, byDigest.stderr).toBe(0);
  });

  it("pulls a private image with --creds and is refused without", async () => {
    const refused = await client.pull(`${host}/private/secret:v1`);
    expect(refused.code).not.toBe(0);
    const allowed = await client.pull(`${host}/private/secret:v1`, ["--creds", creds]);
    expect(allowed.code, allowed.stderr).toBe(0);
  });

  it("pulls from the htpasswd registry by host prefix", async () => {
    const result = await client.pull(`${host}/basic.test/team/tool:v1`, ["--creds", basicCreds]);
    expect(result.code, result.stderr).toBe(0);
  });
});

const test = base.extend<{ $file: { containerd: Containerd } }>({
  containerd: [
    async ({}, use) => {
      const containerd = await startContainerd();
      await use(containerd);
      await containerd.stop();
    },
    { scope: "file" },
  ],
});

describe("containerd with a hosts.toml mirror (?ns=)", () => {
  test("fetches images of several registries through the mirror, selected by ?ns=", async ({ containerd }) => {
    const hosts = containerd.mirrorHostsDir(worker, ["docker.io", "auth.test", "basic.test"]);
    const ctr = (args: string[]) => containerd.ctr(["-n", "proxy", "content", "fetch", "--hosts-dir", hosts, ...args]);
    const multi = await ctr(["--platform", "linux/arm64", "docker.io/test/multi:v1"]);
    expect(multi.code, multi.stderr).toBe(0);
    const nested = await ctr(["auth.test/a/b/c:v1"]);
    expect(nested.code, nested.stderr).toBe(0);
    // basic.test is another registry: only ?ns=basic.test can route /v2/team/tool there.
    const basic = await ctr(["--user", basicCreds, "basic.test/team/tool:v1"]);
    expect(basic.code, basic.stderr).toBe(0);
    const privateImage = await ctr(["--user", creds, "auth.test/private/secret:v1"]);
    expect(privateImage.code, privateImage.stderr).toBe(0);
    const images = await containerd.ctr(["-n", "proxy", "images", "ls", "-q"]);
    expect(images.stdout.split("\n").sort()).toEqual(expect.arrayContaining([
      "auth.test/a/b/c:v1", "auth.test/private/secret:v1", "basic.test/team/tool:v1", "docker.io/test/multi:v1",
    ]));
  });
});
