// The fake Docker Hub's repository and tag objects and its paging (see fake-hub.ts), in
// the shapes of Hub's API reference (docs.docker.com/reference/api/hub/latest, schemas
// `paginated_tags`, `tag`, `image`, operation `listNamespaceRepositories`):
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
import type { FakeRepository, FakeTag } from "./fake-hub-catalog.ts";

export interface Paging {
  page: number;
  size: number;
}

/** The page and page_size asked for, or why Hub would refuse them (it answers 400). */
export function paging(url: URL, maxSize: number, defaultSize: number): Paging | string {
  const page = Number(url.searchParams.get("page") ?? "1");
  const size = Number(url.searchParams.get("page_size") ?? String(defaultSize));
  if (!Number.isInteger(page) || page < 1) return "page must be a positive integer";
  if (!Number.isInteger(size) || size < 1 || size > maxSize) return `page_size must be between 1 and ${maxSize}`;
  return { page, size };
}

/** Hub's paged answer: count, links to the next and previous pages, and this page's results. */
export function pageOf<T>(url: URL, items: T[], { page, size }: Paging) {
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
    results: items.slice((page - 1) * size, page * size),
  };
}

/** A namespace's repositories in the `ordering` asked for. */
export function ordered(repos: FakeRepository[], ordering: string): FakeRepository[] {
  if (ordering === "-pull_count") return [...repos].sort((a, b) => b.pulls - a.pulls);
  if (ordering === "pull_count") return [...repos].sort((a, b) => a.pulls - b.pulls);
  if (ordering === "name") return [...repos].sort((a, b) => a.name.localeCompare(b.name));
  return repos;
}

/** A repository as listed (`full` false) or as its own page shows it. */
export function repositoryObject(r: FakeRepository, full: boolean) {
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

export function tagObject(r: FakeRepository, t: FakeTag, index: number) {
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
