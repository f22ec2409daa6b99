// The fake Docker Hub's two search endpoints (see fake-hub.ts), answering in the shapes
// Hub's own clients see. Neither endpoint is documented by Docker:
//
// GET /v2/search/repositories/?query=nginx&page=1&page_size=25      (`docker search`'s source)
//   {"count": 10000,
//    "next": "https://hub.docker.com/v2/search/repositories/?page=2&page_size=25&query=nginx",
//    "previous": null,
//    "results": [{"repo_name": "nginx", "short_description": "Official build of Nginx.",
//                 "star_count": 21318, "pull_count": 13114222271, "repo_owner": "",
//                 "is_automated": false, "is_official": true}, …]}
//   Official images are named without "library/"; there is no verified-publisher flag.
//
// GET /api/search/v3/catalog/search?query=nginx&from=0&size=25        (the Hub site's search)
//   {"total": 10000,
//    "results": [{"id": "…", "name": "nginx", "slug": "nginx", "type": "image",
//                 "publisher": {"id": "docker", "name": "Docker"},
//                 "created_at": "…", "updated_at": "…", "short_description": "…",
//                 "badge": "official" | "verified_publisher" | "open_source" | "none",
//                 "star_count": 21318, "pull_count": "1B+", "logo_url": {"large": "…", "small": "…"},
//                 "operating_systems": [{"name": "linux", "label": "Linux"}],
//                 "architectures": [{"name": "arm64", "label": "ARM 64"}]}, …]}
//   The Worker reads only slug and badge from it (for the verified flag).
import { fakeDigest, STAMP, type FakeRepository } from "./fake-hub-catalog.ts";
import { pageOf, type Paging } from "./fake-hub-repositories.ts";

/** Repositories whose name or description contains `query`, ranked as Hub does: official images first, then by pulls. */
export function ranked(catalog: FakeRepository[], query: string): FakeRepository[] {
  const q = query.toLowerCase();
  return catalog
    .filter((r) => `${r.namespace}/${r.name}`.includes(q) || r.description.toLowerCase().includes(q))
    .sort((a, b) => Number(b.namespace === "library") - Number(a.namespace === "library") || b.pulls - a.pulls);
}

/** One page of /v2/search/repositories/. */
export function searchPage(url: URL, catalog: FakeRepository[], query: string, paging: Paging) {
  return pageOf(url, ranked(catalog, query).map(searchItem), paging);
}

/** The answer of /api/search/v3/catalog/search. */
export function catalogSearch(catalog: FakeRepository[], query: string, from: number, size: number) {
  const all = ranked(catalog, query);
  return { total: all.length, results: all.slice(from, from + size).map(catalogItem) };
}

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
