// The shared registry client (shared/registry/) aimed at one UPSTREAMS entry, for what
// the Worker reads from an upstream itself: the seed API's image details and downloads,
// and the anonymous access probe of the cache. Every URL the client asks for (the
// registry, its token realm, each redirect hop) passes the address guard for that
// upstream first, and foreign layers are refused. Anonymous clients are kept per
// upstream for the isolate's life, so their token cache (expires_in honoured) serves
// many requests; /api/download takes a metered one of its own, whose subrequests it counts.
import type { HttpFetch, HttpResponse } from "../../shared/http.ts";
import type { Reference } from "../../shared/reference.ts";
import { RegistryClient, type RegistryClientOptions } from "../../shared/registry/client.ts";
import { DEFAULT_DEADLINES, type UpstreamDeadlines } from "../config.ts";
import { checkTarget } from "./address-guard.ts";
import { withDeadlines } from "./deadline.ts";

/** The upstream side of a repository: its UPSTREAMS key and base, and its name there. */
export interface UpstreamRepository {
  key: string;
  upstream: URL;
  upstreamName: string;
}

const anonymousClients = new Map<string, RegistryClient>();

/** A client that reads `upstream` anonymously (one per upstream and isolate). */
export function anonymousClient(repository: UpstreamRepository): RegistryClient {
  const id = `${repository.key} ${repository.upstream.href}`;
  let client = anonymousClients.get(id);
  if (client === undefined) {
    client = new RegistryClient(clientOptions(repository, guardedFetch(repository.upstream)));
    anonymousClients.set(id, client);
  }
  return client;
}

/**
 * An anonymous client for one request only, every fetch (each redirect hop too) passed
 * through `meter` first (/api/download counts its subrequests): it has a token cache of
 * its own, so what it spends is known, whatever the isolate did before.
 */
export function meteredClient(repository: UpstreamRepository, meter: (fetch: HttpFetch) => HttpFetch, deadlines?: UpstreamDeadlines): RegistryClient {
  return new RegistryClient(clientOptions(repository, meter(guardedFetch(repository.upstream, deadlines))));
}

function clientOptions(repository: UpstreamRepository, fetch: HttpFetch): RegistryClientOptions {
  return {
    fetch,
    endpoints: { [repository.key]: repository.upstream.href.replace(/\/+$/, "") },
    endpointsOnly: true,
    // A manifest's foreign-layer URLs may name any host: never fetched by the Worker.
    foreignLayers: "refuse",
  };
}

/** The reference the client asks the upstream about (its own name for the repository). */
export function upstreamReference(repository: UpstreamRepository, reference?: string): Reference {
  const ref: Reference = { registry: repository.key, repository: repository.upstreamName };
  if (reference?.startsWith("sha256:")) ref.digest = reference;
  else if (reference !== undefined) ref.tag = reference;
  return ref;
}

/**
 * fetch for the client: redirects come back to it (it follows them), each URL guarded,
 * each answer's headers held to UPSTREAM_HEADERS_TIMEOUT (its bodies are the reader's to watch).
 */
export function guardedFetch(upstream: URL, deadlines: UpstreamDeadlines = DEFAULT_DEADLINES): HttpFetch {
  return async (url, init) => {
    checkTarget(new URL(url), upstream);
    const method = init.method ?? "GET";
    const response = await withDeadlines((signal) => fetch(url, { method, headers: init.headers, body: init.body, redirect: "manual", signal }), {
      deadlines,
      step: `${method} ${url.replace(/\?.*$/, "")}`,
      watchBody: false,
      ...(init.signal ? { signal: init.signal } : {}),
    });
    return response as unknown as HttpResponse;
  };
}
