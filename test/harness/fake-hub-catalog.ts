// What the fake Docker Hub (fake-hub.ts) lists: the harness fixtures under their own
// names, digests and sizes, so details and downloads agree with the harness registry,
// plus synthetic repositories for search, paging, badges and a hostile README.
import { createHash } from "node:crypto";
import { fixtureDefinitions } from "./fixtures.ts";
import type { BuiltImage } from "./image-builder.ts";

export interface FakeImage {
  architecture: string;
  os: string;
  variant: string | null;
  digest: string;
  size: number;
}

export interface FakeTag {
  name: string;
  digest: string;
  mediaType: string;
  lastUpdated: string;
  images: FakeImage[];
}

export interface FakeRepository {
  namespace: string;
  name: string;
  description: string;
  fullDescription: string;
  stars: number;
  pulls: number;
  lastUpdated: string;
  badge: "official" | "verified_publisher" | "open_source" | "none";
  tags: FakeTag[];
}

export const STAMP = "2026-01-15T10:00:00.000000Z";

export function fakeDigest(seed: string): string {
  return "sha256:" + createHash("sha256").update(seed).digest("hex");
}

export function fakeHubCatalog(): FakeRepository[] {
  return [...fixtureRepositories(), ...syntheticRepositories()];
}

function imageOf(built: BuiltImage): FakeImage {
  return {
    architecture: built.platform.architecture,
    os: built.platform.os,
    variant: built.platform.variant ?? null,
    digest: built.manifest.digest,
    size: built.layers.reduce((sum, l) => sum + l.bytes.length, 0),
  };
}

/** The harness fixtures as Hub would list them (same digests as in the registry). */
function fixtureRepositories(): FakeRepository[] {
  const out: FakeRepository[] = [];
  for (const def of fixtureDefinitions()) {
    const [namespace, name, ...rest] = def.repository.split("/");
    if (rest.length > 0 || def.private) continue; // Hub names are namespace/name; private ones are not listed
    const built = def.built;
    const images: FakeImage[] = "images" in built
      ? [
          ...built.images.map(imageOf),
          ...built.extraManifests.map((m) => ({ architecture: "unknown", os: "unknown", variant: null, digest: m.blob.digest, size: m.blob.bytes.length })),
        ]
      : [imageOf(built)];
    out.push({
      namespace,
      name,
      description: `Fixture image ${def.repository} for dockerdl's tests.`,
      fullDescription: `# ${def.repository}\n\nA **fixture** image.\n\n<script>alert("xss")</script>\n\n[link](javascript:alert(1))\n`,
      stars: 10 + out.length,
      pulls: 1000 * (out.length + 1),
      lastUpdated: STAMP,
      badge: namespace === "library" ? "official" : "none",
      tags: [{ name: def.tag, digest: built.manifest.digest, mediaType: built.mediaType, lastUpdated: STAMP, images }],
    });
  }
  return out;
}

function syntheticTags(repo: string, names: string[], platforms: [string, string, string | null][]): FakeTag[] {
  return names.map((tag, i) => ({
    name: tag,
    digest: fakeDigest(`${repo}:${tag}`),
    mediaType: "application/vnd.oci.image.index.v1+json",
    lastUpdated: new Date(Date.parse("2026-01-15T10:00:00Z") - i * 86_400_000).toISOString(),
    images: [
      ...platforms.map(([os, architecture, variant], j) => ({
        architecture,
        os,
        variant,
        digest: fakeDigest(`${repo}:${tag}:${os}/${architecture}/${variant ?? ""}`),
        size: 30_000_000 + j * 1_000_000 + i,
      })),
      { architecture: "unknown", os: "unknown", variant: null, digest: fakeDigest(`${repo}:${tag}:attestation`), size: 1234 },
    ],
  }));
}

const LINUX3: [string, string, string | null][] = [["linux", "amd64", null], ["linux", "arm64", "v8"], ["linux", "arm", "v7"]];

function syntheticRepositories(): FakeRepository[] {
  const ubuntuTags = ["latest", "24.04", "22.04", "20.04", "noble", "jammy", "focal",
    ...Array.from({ length: 40 }, (_, i) => `22.04-${String(i).padStart(2, "0")}`)];
  const repo = (namespace: string, name: string, description: string, stars: number, pulls: number, badge: FakeRepository["badge"], tags: FakeTag[]): FakeRepository => ({
    namespace, name, description, fullDescription: `# ${name}\n\n${description}\n`, stars, pulls, lastUpdated: STAMP, badge, tags,
  });
  const out = [
    repo("library", "ubuntu", "Ubuntu is a Debian-based Linux operating system based on free software.", 17000, 9_000_000_000, "official", syntheticTags("library/ubuntu", ubuntuTags, LINUX3)),
    repo("library", "nginx", "Official build of Nginx.", 21000, 13_000_000_000, "official", syntheticTags("library/nginx", ["latest", "1.27", "alpine"], LINUX3)),
    repo("library", "alpine", "A minimal Docker image based on Alpine Linux.", 11000, 10_000_000_000, "official", syntheticTags("library/alpine", ["latest", "3.20"], LINUX3)),
    repo("bitnami", "nginx", "Bitnami container image for NGINX", 200, 800_000_000, "verified_publisher", syntheticTags("bitnami/nginx", ["latest"], [["linux", "amd64", null]])),
    repo("someone", "nginx-proxy", "Automated nginx proxy for containers", 50, 1_000_000, "none", syntheticTags("someone/nginx-proxy", ["latest"], [["linux", "amd64", null]])),
  ];
  // Enough community repositories that a search for "web" needs several pages.
  for (let i = 0; i < 30; i++) {
    out.push(repo(`webfan${i}`, "webapp", `A web app number ${i}`, i, 1000 - i, "none", syntheticTags(`webfan${i}/webapp`, ["latest"], [["linux", "amd64", null]])));
  }
  // A publisher's README is untrusted text: this one tries the usual ways to run script
  // in the page that renders it (the image page's markdown renderer must defuse all).
  out.push({
    ...repo("mallory", "readme", "Made-up repository whose README attacks its renderer", 1, 10, "none", syntheticTags("mallory/readme", ["latest"], [["linux", "amd64", null]])),
    fullDescription: [
      "# Hostile readme",
      "",
      "Some **bold** text and a [safe link](https://example.com/docs).",
      "",
      "<script>window.__xss = 'script'</script>",
      "",
      "<img src=x onerror=\"window.__xss='img'\">",
      "",
      "Inline <img src=x onerror=\"window.__xss='inline'\"> html and <a href=\"javascript:window.__xss='a'\">an anchor</a>.",
      "",
      "[js link](javascript:window.__xss='link') [data link](data:text/html,<script>parent.__xss='data'</script>) [spaced]( JAVASCRIPT:window.__xss='spaced')",
      "",
      "![pixel](https://tracker.invalid/pixel.gif) ![svg](data:image/svg+xml,<svg onload=\"window.__xss='svg'\">)",
      "",
      "<iframe src=\"javascript:window.__xss='iframe'\"></iframe>",
      "",
      "[ref][evil]",
      "",
      "[evil]: javascript:window.__xss='ref'",
      "",
    ].join("\n"),
  });
  return out;
}
