// A fake of Docker Hub's web API (hub.docker.com), which cannot be reached from here,
// on 127.0.0.1. It answers the endpoints the Worker's seed API reads, in the real API's
// shapes, for a fixed catalog (fake-hub-catalog.ts). It logs every request so tests can
// count what reached "Hub", and can be told to fail, to test serving stale cache entries.
//
// This file routes requests; the answers' shapes, with examples of Hub's own, are in
// fake-hub-search.ts (the two search endpoints) and fake-hub-repositories.ts
// (repositories, tags, paging). Errors are Hub's: 404 {"message": "object not found",
// "errinfo": {"namespace": "…", "repository": "…"}}; 400 {"message": "…", "errinfo": {…}}
// for bad paging; 429 with Retry-After when rate-limited.
//
// Test controls, not part of Hub's API: GET /__fake/requests lists the requests logged;
// POST /__fake/outage?status=503 makes every request fail with that status until
// DELETE /__fake/outage.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { fakeHubCatalog, type FakeRepository } from "./fake-hub-catalog.ts";
import { ordered, pageOf, paging, repositoryObject, tagObject } from "./fake-hub-repositories.ts";
import { catalogSearch, searchPage } from "./fake-hub-search.ts";

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

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function notFound(res: ServerResponse, errinfo: Record<string, string> = {}) {
  send(res, 404, { message: "object not found", errinfo });
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
      return send(res, 200, searchPage(url, catalog, query, p));
    }
    if (path === "/api/search/v3/catalog/search") {
      const query = url.searchParams.get("query") ?? "";
      const from = Number(url.searchParams.get("from") ?? "0");
      const size = Number(url.searchParams.get("size") ?? "25");
      return send(res, 200, catalogSearch(catalog, query, from, size));
    }
    if ((m = /^\/v2\/namespaces\/([^/]+)\/repositories\/?$/.exec(path))) {
      const namespace = m[1];
      const p = paging(url, 1000, 10);
      if (typeof p === "string") return send(res, 400, { message: p, errinfo: {} });
      const repos = catalog.filter((r) => r.namespace === namespace);
      if (repos.length === 0) return notFound(res, { namespace });
      const sorted = ordered(repos, url.searchParams.get("ordering") ?? "");
      return send(res, 200, pageOf(url, sorted.map((r) => repositoryObject(r, false)), p));
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
      return send(res, 200, pageOf(url, repo.tags.map((t, i) => tagObject(repo, t, i)), p));
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
