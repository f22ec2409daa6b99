// Real clients pull every member of the registry zoo (test/harness/zoo/) through the
// mirror: skopeo first (which fills the mirror's R2 cache), then podman and /api/download,
// which must move no blob byte from the member's hosts (redirects included) once the
// cache holds the image; containerd's ctr for the Hub-like and ghcr-like members; the
// tags of each member through /api/image-details. No Authorization ever reaches a host
// a registry redirected to.
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect } from "vitest";
import type { ImageDetails } from "../../shared/seed-api.ts";
import { podman, run, skopeoCopy, startContainerd } from "../harness/mirror-clients.ts";
import { skopeoToOci } from "../harness/podman.ts";
import { cacheKey, missingFromR2 } from "../harness/r2-cache.ts";
import type { Zoo } from "../harness/zoo/index.ts";
import { MEMBERS, mirrorName, mirrorPath, zooTest as test } from "../harness/zoo/vitest.ts";
import { postJson } from "./api-helpers.ts";

const members = MEMBERS.map((m) => [m.id, m] as const);

/** The layer digests skopeo wrote into an OCI layout (layers keep their bytes through the conversion). */
function copiedLayers(dir: string): string[] {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(readFileSync(join(dir, "blobs", "sha256", index.manifests[0].digest.slice(7)), "utf8")) as { layers: { digest: string }[] };
  return manifest.layers.map((l) => l.digest);
}

function noAuthorizationAtRedirectHosts(zoo: Zoo): void {
  expect(zoo.state.log.filter((e) => e.role.startsWith("hop") && e.authorization)).toEqual([]);
}

describe("the mirror in front of the zoo", () => {
  test.for(members)("%s-like: skopeo copies through it, then podman and /api/download pull from its cache alone", async ([, member], { zoo, tempDir }) => {
    const host = new URL(zoo.worker!.url).host;
    const { image } = zoo.members[member.id];
    const layers = image.image.layers.map((l) => l.digest);
    const dir = join(mkdtempSync(join(tempDir, `skopeo-${member.id}-`)), "oci");
    const copied = await skopeoCopy(host, mirrorPath(member), dir);
    expect(copied.code, copied.stderr).toBe(0);
    expect(copiedLayers(dir)).toEqual(layers);
    expect(zoo.state.blobBytes(member.id)).toBeGreaterThan(0);

    // The mirror stores in the background once the client has its answer.
    const keys = [...layers, image.image.config.digest].map(cacheKey.blob);
    await expect.poll(() => missingFromR2(zoo.worker!.url, keys), { timeout: 30_000 }).toEqual([]);
    const before = zoo.state.log.length;

    const pulled = await podman(mkdtempSync(join(tempDir, `podman-${member.id}-`))).pull(`${host}/${mirrorPath(member)}`, ["--platform", "linux/amd64"]);
    expect(pulled.code, pulled.stderr).toBe(0);
    // No blob body left the member's hosts (registry, CDN, object store) for the second pull.
    expect(zoo.state.log.slice(before).filter((e) => e.bytes > 0)).toEqual([]);

    const afterPodman = zoo.state.log.length;
    const file = join(tempDir, `api-${member.id}.tar`);
    const query = new URLSearchParams({ image: mirrorName(member), platform: "linux/amd64" });
    // Not execFileSync: the zoo answers from this process, whose event loop must keep running.
    const curl = await run("curl", ["-sSf", "-o", file, `${zoo.worker!.url}/api/download?${query}`]);
    expect(curl.code, curl.stderr).toBe(0);
    await skopeoToOci(file);
    // /api/download resolves the image itself (manifests and the small config from
    // upstream); its layers come from the cache.
    const config = image.image.config.digest;
    expect(zoo.state.log.slice(afterPodman).filter((e) => e.bytes > 0 && !e.path.includes(config))).toEqual([]);
    noAuthorizationAtRedirectHosts(zoo);
  });

  // Hub's tags and details come from Hub's web API (HUB_API), tested with the fake Hub
  // in api-image-details.test.ts; every other registry's come from the registry itself.
  test.for(members.filter(([, m]) => m.key !== "docker.io"))("%s-like: /api/image-details lists its tags and platforms", async ([, member], { zoo }) => {
    const { status, body } = await postJson<ImageDetails>(`${zoo.worker!.url}/api/image-details`, { image: mirrorName(member) });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.tags.map((t) => t.name)).toContain("v1");
    const { image } = zoo.members[member.id];
    expect(body.tag?.digest).toBe(image.digest);
    const amd64 = body.tag?.platforms?.find((p) => p.platform === "linux/amd64");
    expect(amd64?.digest).toBe(image.image.manifest.digest);
    expect(amd64?.size).toBe(image.layerBytes);
  });

  test("containerd fetches the Hub-like and ghcr-like images through it (hosts.toml, ?ns=)", async ({ zoo }) => {
    const containerd = await startContainerd();
    try {
      const hosts = containerd.mirrorHostsDir(zoo.worker!.url, ["docker.io", "ghcr.io"]);
      for (const member of MEMBERS.filter((m) => m.id === "hub" || m.id === "ghcr")) {
        const name = member.key === "docker.io" ? `docker.io/library/zoo:v1` : `ghcr.io/zoo/app:v1`;
        const fetched = await containerd.ctr(["-n", "zoo", "content", "fetch", "--hosts-dir", hosts, "--platform", "linux/amd64", name]);
        expect(fetched.code, fetched.stderr).toBe(0);
        const listed = await containerd.ctr(["-n", "zoo", "content", "ls", "-q"]);
        for (const layer of zoo.members[member.id].image.image.layers) expect(listed.stdout).toContain(layer.digest);
      }
    } finally {
      await containerd.stop();
    }
    noAuthorizationAtRedirectHosts(zoo);
  });
});
