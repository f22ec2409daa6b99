// A fake of Docker Hub's web API (hub.docker.com), which cannot be reached from here,
// on 127.0.0.1. It answers the endpoints the Worker's seed API reads, in the real API's
// shapes, for a fixed catalog: the harness fixtures (same names, same digests and sizes
// as in the harness registry, so details and downloads agree) plus a few synthetic
// repositories for search, paging and badges. It logs every request so tests can count
// what reached "Hub", and can be told to fail, to test serving stale cache entries.
//
// The shapes, from Docker Hub's API reference (docs.docker.com/reference/api/hub/latest,
// schemas `paginated_tags`, `tag`, `image`, operation `listNamespaceRepositories`) and,
// for the endpoints Hub does not document, from what Hub answers to its many clients:
//
// GET /v2/search/repositories/?query=nginx&page=1&page_size=25      (undocumented; `docker search`'s source)
//   {"count": 10000,
//    "next": "https://hub.docker.com/v2/search/repositories/?page=2&page_size=25&query=nginx",
//    "previous": null,
//    "results": [{"repo_name": "nginx", "short_description": "Official build of Nginx.",
//                 "star_count": 21318, "pull_count": 13114222271, "repo_owner": "",
//                 "is_automated": false, "is_official": true}, …]}
//   Official images are named without "library/"; there is no verified-publisher flag.
//
// GET /api/search/v3/catalog/search?query=nginx&from=0&size=25        (undocumented; the Hub site's search)
//   {"total": 10000,
//    "results": [{"id": "…", "name": "nginx", "slug": "nginx", "type": "image",
//                 "publisher": {"id": "docker", "name": "Docker"},
//                 "created_at": "…", "updated_at": "…", "short_description": "…",
//                 "badge": "official" | "verified_publisher" | "open_source" | "none",
//                 "star_count": 21318, "pull_count": "1B+", "logo_url": {"large": "…", "small": "…"},
//                 "operating_systems": [{"name": "linux", "label": "Linux"}],
//                 "architectures": [{"name": "arm64", "label": "ARM 64"}]}, …]}
//   The Worker reads only slug and badge from it (for the verified flag).
//
// GET /v2/repositories/<namespace>/<name>/          (without the slash Hub answers 301)
//   {"user": "library", "name": "nginx", "namespace": "library", "repository_type": "image",
//    "status": 1, "status_description": "active", "description": "Official build of Nginx.",
//    "is_private": false, "is_automated": false, "star_count": 21244,
//    "pull_count": 12916987208, "last_updated": "2026-04-08T04:52:59.85304Z",
//    "last_modified": "…", "date_registered": "2014-06-05T19:14:45.387037Z",
//    "collaborator_count": 0, "affiliation": null, "hub_user": "stackbrew",
//    "has_starred": false, "full_description": "# Quick reference\n…(markdown)",
//    "permissions": {"read": true, "write": false, "admin": false},
//    "media_types": ["application/vnd.oci.image.index.v1+json"], "content_types": ["image"],
//    "categories": [{"name": "Web servers", "slug": "web-servers"}], "storage_size": 123}
//
// GET /v2/namespaces/<namespace>/repositories/<name>/tags?page=1&page_size=25
// GET /v2/repositories/<namespace>/<name>/tags/?page=1&page_size=25   (older spelling, same answer)
//   {"count": 1231, "next": "…?page=2&page_size=25" | null, "previous": null,
//    "results": [{"creator": 7, "id": 2343, "name": "latest", "repository": 130,
//                 "full_size": 75271303, "v2": true, "tag_status": "active",
//                 "last_updated": "…", "last_updater": 1156886, "last_updater_username": "doijanky",
//                 "tag_last_pulled": "…", "tag_last_pushed": "…",
//                 "media_type": "application/vnd.oci.image.index.v1+json", "content_type": "image",
//                 "digest": "sha256:<index digest>",
//                 "images": [{"architecture": "arm64", "variant": "v8", "os": "linux",
//                             "features": "", "os_features": "", "os_version": null,
//                             "digest": "sha256:<platform manifest digest>", "size": 67000000,
//                             "status": "active", "last_pulled": "…", "last_pushed": "…"},
//                            {"architecture": "unknown", "os": "unknown", … (attestation)}]}, …]}
//   `size` is the compressed size of the platform's layers; page_size is at most 100.
// GET /v2/namespaces/<namespace>/repositories/<name>/tags/<tag>   → one object of `results`
//
// GET /v2/namespaces/<namespace>/repositories?page=1&page_size=10&ordering=-pull_count
//   {"count": 287, "next": "…" | null, "previous": null,
//    "results": [{"name": "nginx", "namespace": "library", "repository_type": "image",
//                 "status": 1, "status_description": "active", "description": "…",
//                 "is_private": false, "star_count": 21244, "pull_count": 12916987208,
//                 "last_updated": "…", "last_modified": "…", "date_registered": "…",
//                 "affiliation": "", "media_types": […], "content_types": ["image"],
//                 "categories": […], "storage_size": 488723114800}, …]}
//
// Errors: 404 {"message": "object not found", "errinfo": {"namespace": "…", "repository": "…"}};
// 400 {"message": "…", "errinfo": {…}} for bad paging; 429 with Retry-After when rate-limited.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
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

export interface HubRequest {
  method: string;
  path: string;
  query: Record<string, string>;
}

export interface FakeHub {
  url: string;
  catalog: FakeRepository[];
  requests: HubRequest[];
  stop(): Promise<void>;
}

const STAMP = "2026-01-15T10:00:00.000000Z";

function fakeDigest(seed: string): string {
  return "sha256:" + createHash("sha256").update(seed).digest("hex");
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

export function fakeHubCatalog(): FakeRepository[] {
  return [...fixtureRepositories(), ...syntheticRepositories()];
}

// --- the real API's shapes ------------------------------------------------------------

function searchItem(r: FakeRepository) {
  const official = r.namespace === "library";
  return {
    repo_name: official ? r.name : `${r.namespace}/${r.name}`,
    short_description: r.description,
    star_count: r.stars,
    pull_count: r.pulls,
    repo_owner: official ? "" : r.namespace,
    is_automated: false,
    is_official: official,
  };
}

function catalogItem(r: FakeRepository) {
  const official = r.namespace === "library";
  const slug = official ? r.name : `${r.namespace}/${r.name}`;
  return {
    id: fakeDigest(slug).slice(7, 31),
    name: official ? r.name : slug,
    slug,
    type: "image",
    publisher: { id: official ? "docker" : r.namespace, name: official ? "Docker" : r.namespace },
    created_at: STAMP,
    updated_at: r.lastUpdated,
    short_description: r.description,
    badge: r.badge,
    star_count: r.stars,
    pull_count: r.pulls >= 1e9 ? "1B+" : r.pulls >= 1e6 ? "1M+" : String(r.pulls),
    logo_url: {},
    operating_systems: [{ name: "linux", label: "Linux" }],
    architectures: [{ name: "amd64", label: "x86-64" }],
  };
}

function repositoryObject(r: FakeRepository, full: boolean) {
  const mediaTypes = [...new Set(r.tags.map((t) => t.mediaType))];
  return {
    user: r.namespace,
    name: r.name,
    namespace: r.namespace,
    repository_type: "image",
    status: 1,
    status_description: "active",
    description: r.description,
    is_private: false,
    is_automated: false,
    star_count: r.stars,
    pull_count: r.pulls,
    last_updated: r.lastUpdated,
    last_modified: r.lastUpdated,
    date_registered: "2014-06-05T19:14:45.387037Z",
    affiliation: r.namespace === "library" ? "" : null,
    media_types: mediaTypes,
    content_types: ["image"],
    categories: [],
    storage_size: r.tags.reduce((s, t) => s + t.images.reduce((a, i) => a + i.size, 0), 0),
    ...(full
      ? {
          collaborator_count: 0,
          hub_user: r.namespace === "library" ? "stackbrew" : r.namespace,
          has_starred: false,
          full_description: r.fullDescription,
          permissions: { read: true, write: false, admin: false },
        }
      : {}),
  };
}

function tagObject(r: FakeRepository, t: FakeTag, index: number) {
  return {
    creator: 7,
    id: 1000 + index,
    images: t.images.map((i) => ({
      architecture: i.architecture,
      features: "",
      variant: i.variant,
      digest: i.digest,
      os: i.os,
      os_features: "",
      os_version: null,
      size: i.size,
      status: "active",
      last_pulled: t.lastUpdated,
      last_pushed: t.lastUpdated,
    })),
    last_updated: t.lastUpdated,
    last_updater: 1156886,
    last_updater_username: r.namespace === "library" ? "doijanky" : r.namespace,
    name: t.name,
    repository: 130,
    full_size: t.images.find((i) => i.os !== "unknown")?.size ?? 0,
    v2: true,
    tag_status: "active",
    tag_last_pulled: t.lastUpdated,
    tag_last_pushed: t.lastUpdated,
    media_type: t.mediaType,
    content_type: "image",
    digest: t.digest,
  };
}

// --- the server -------------------------------------------------------------------------

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse, errinfo: Record<string, string> = {}) {
  send(res, 404, { message: "object not found", errinfo });
}

function paging(url: URL, maxSize: number, defaultSize: number): { page: number; size: number } | string {
  const page = Number(url.searchParams.get("page") ?? "1");
  const size = Number(url.searchParams.get("page_size") ?? String(defaultSize));
  if (!Number.isInteger(page) || page < 1) return "page must be a positive integer";
  if (!Number.isInteger(size) || size < 1 || size > maxSize) return `page_size must be between 1 and ${maxSize}`;
  return { page, size };
}

function pageOf<T>(url: URL, items: T[], page: number, size: number) {
  const slice = items.slice((page - 1) * size, page * size);
  const link = (p: number) => {
    const u = new URL(url);
    u.searchParams.set("page", String(p));
    u.searchParams.set("page_size", String(size));
    return u.toString();
  };
  return {
    count: items.length,
    next: page * size < items.length ? link(page + 1) : null,
    previous: page > 1 ? link(page - 1) : null,
    results: slice,
  };
}

function matches(r: FakeRepository, query: string): boolean {
  const q = query.toLowerCase();
  return `${r.namespace}/${r.name}`.includes(q) || r.description.toLowerCase().includes(q);
}

/** Hub ranks official images first, then by pulls. */
function ranked(catalog: FakeRepository[], query: string): FakeRepository[] {
  return catalog
    .filter((r) => matches(r, query))
    .sort((a, b) => Number(b.namespace === "library") - Number(a.namespace === "library") || b.pulls - a.pulls);
}

export async function startFakeHub(catalog: FakeRepository[] = fakeHubCatalog()): Promise<FakeHub> {
  const requests: HubRequest[] = [];
  let outage: number | null = null;

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      send(res, 500, { message: String(error) });
    }
  });

  function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
    const path = url.pathname;

    // Test controls: not part of Hub's API.
    if (path === "/__fake/requests") return send(res, 200, { requests });
    if (path === "/__fake/outage") {
      outage = req.method === "DELETE" ? null : Number(url.searchParams.get("status") ?? "503");
      return send(res, 200, { outage });
    }

    requests.push({ method: req.method ?? "GET", path, query: Object.fromEntries(url.searchParams) });
    if (req.method !== "GET") return send(res, 405, { message: "method not allowed" });
    if (outage !== null) {
      return send(res, outage, { message: "service unavailable" }, outage === 429 ? { "retry-after": "60" } : {});
    }

    let m: RegExpExecArray | null;
    if (path === "/v2/search/repositories" || /^\/v2\/repositories\/[^/]+\/[^/]+$/.test(path)) {
      // Hub redirects the slash-less spellings of its collection and object URLs.
      res.writeHead(301, { location: `${path}/${url.search}` });
      return res.end();
    }
    if (path === "/v2/search/repositories/") {
      const query = url.searchParams.get("query") ?? "";
      if (query.trim() === "") return send(res, 400, { message: "query is required", errinfo: {} });
      const p = paging(url, 100, 25);
      if (typeof p === "string") return send(res, 400, { message: p, errinfo: {} });
      return send(res, 200, pageOf(url, ranked(catalog, query).map(searchItem), p.page, p.size));
    }
    if (path === "/api/search/v3/catalog/search") {
      const query = url.searchParams.get("query") ?? "";
      const from = Number(url.searchParams.get("from") ?? "0");
      const size = Number(url.searchParams.get("size") ?? "25");
      const all = ranked(catalog, query);
      return send(res, 200, { total: all.length, results: all.slice(from, from + size).map(catalogItem) });
    }
    if ((m = /^\/v2\/namespaces\/([^/]+)\/repositories\/?$/.exec(path))) {
      const namespace = m[1];
      const p = paging(url, 1000, 10);
      if (typeof p === "string") return send(res, 400, { message: p, errinfo: {} });
      const ordering = url.searchParams.get("ordering") ?? "";
      const repos = catalog.filter((r) => r.namespace === namespace);
      if (repos.length === 0) return notFound(res, { namespace });
      const sorted = ordering === "-pull_count" ? [...repos].sort((a, b) => b.pulls - a.pulls)
        : ordering === "pull_count" ? [...repos].sort((a, b) => a.pulls - b.pulls)
        : ordering === "name" ? [...repos].sort((a, b) => a.name.localeCompare(b.name))
        : repos;
      return send(res, 200, pageOf(url, sorted.map((r) => repositoryObject(r, false)), p.page, p.size));
    }
    if (
      (m = /^\/v2\/namespaces\/([^/]+)\/repositories\/([^/]+)\/tags(?:\/([^/]+))?\/?$/.exec(path)) ||
      (m = /^\/v2\/repositories\/([^/]+)\/([^/]+)\/tags(?:\/([^/]+))?\/?$/.exec(path))
    ) {
      const [, namespace, name, tag] = m;
      const repo = catalog.find((r) => r.namespace === namespace && r.name === name);
      if (!repo) return notFound(res, { namespace, repository: name });
      if (tag !== undefined) {
        const index = repo.tags.findIndex((t) => t.name === decodeURIComponent(tag));
        if (index < 0) return notFound(res, { namespace, repository: name, tag });
        return send(res, 200, tagObject(repo, repo.tags[index], index));
      }
      const p = paging(url, 100, 10);
      if (typeof p === "string") return send(res, 400, { message: p, errinfo: {} });
      return send(res, 200, pageOf(url, repo.tags.map((t, i) => tagObject(repo, t, i)), p.page, p.size));
    }
    if ((m = /^\/v2\/repositories\/([^/]+)\/([^/]+)\/$/.exec(path))) {
      const [, namespace, name] = m;
      const repo = catalog.find((r) => r.namespace === namespace && r.name === name);
      if (!repo) return notFound(res, { namespace, repository: name });
      return send(res, 200, repositoryObject(repo, true));
    }
    notFound(res);
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    catalog,
    requests,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
