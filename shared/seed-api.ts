// The seed API's answers (/api/search, /api/popular, /api/image-details) and its error
// body, written once: the Worker (proxy/api/*) builds them, the PWA (web/page/discover/
// api.ts) and the integration tests read them. Types only.

import type { ErrorInfo, ErrorParams } from "./errors.ts";

/** One repository in a search or popular answer. */
export interface SearchResult {
  /** As docker writes it: "nginx", "grafana/grafana". */
  name: string;
  /** With the namespace always present: "library/nginx". */
  repository: string;
  namespace: string;
  description: string;
  stars: number;
  pulls: number;
  official: boolean;
  /** Verified Publisher badge; null when Hub did not say. */
  verified: boolean | null;
  automated: boolean;
  /** Given by /api/popular only; search results leave it out. */
  lastUpdated?: string | null;
}

/** /api/search. */
export interface SearchAnswer {
  query: string;
  page: number;
  limit: number;
  total: number;
  hasMore: boolean;
  results: SearchResult[];
  fetchedAt: string;
}

/** /api/popular. */
export interface PopularAnswer {
  repositories: (SearchResult & { lastUpdated: string | null })[];
  fetchedAt: string;
}

export interface TagPlatform {
  /** "linux/arm64/v8": what --platform and the download endpoints take. */
  platform: string;
  os: string;
  architecture: string;
  variant?: string;
  /** The platform's image manifest digest. */
  digest: string | null;
  /** Compressed size in bytes (the sum of the layers as stored in the registry). */
  size: number | null;
  lastPushed?: string | null;
}

export interface TagInfo {
  name: string;
  /** The tag's manifest (or index) digest. */
  digest: string | null;
  lastUpdated: string | null;
  /** null: not looked up (registries other than Hub list tag names only). */
  platforms: TagPlatform[] | null;
}

/** /api/image-details. */
export interface ImageDetails {
  /** The reference in full: docker.io/library/nginx:latest. */
  image: string;
  registry: string;
  repository: string;
  /** As docker writes it: nginx, grafana/grafana, ghcr.io/owner/app. */
  name: string;
  source: "hub" | "registry";
  official: boolean | null;
  description: string | null;
  /** Markdown, as the publisher wrote it: render it sanitised. */
  fullDescription: string | null;
  stars: number | null;
  pulls: number | null;
  lastUpdated: string | null;
  /** The tag (or digest) the reference names; null when it does not exist. */
  tag: TagInfo | null;
  tags: TagInfo[];
  tagCount: number | null;
  page: number;
  limit: number;
  hasMoreTags: boolean;
  fetchedAt: string;
}

/**
 * Every refusal of the seed API: {"error":{"code","message","hint"?,"key","params"}}, an
 * ErrorInfo whose key and params are always given, so the web app words it in its language.
 */
export interface ApiErrorBody {
  error: ErrorInfo & { key: string; params: ErrorParams };
}
