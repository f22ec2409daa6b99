// The shapes of Docker Hub's web API answers, as far as the seed API reads them (only
// the fields used are typed). test/harness/fake-hub.ts documents the full shapes. Kept
// free of imports so Node-side tests can use the types too.

/** GET /v2/search/repositories/?query=&page=&page_size= */
export interface HubSearchPage {
  count: number;
  next: string | null;
  previous: string | null;
  results: {
    repo_name: string;
    short_description: string | null;
    star_count: number;
    pull_count: number;
    repo_owner: string | null;
    is_automated: boolean;
    is_official: boolean;
  }[];
}

/** GET /api/search/v3/catalog/search?query=&from=&size= (the Hub site's own search; read only for badges). */
export interface HubCatalogPage {
  total: number;
  results: { id: string; name: string; slug: string; badge?: string; star_count?: number }[];
}

/** GET /v2/repositories/<namespace>/<name>/ */
export interface HubRepository {
  user: string;
  name: string;
  namespace: string;
  description: string | null;
  full_description: string | null;
  star_count: number;
  pull_count: number;
  last_updated: string | null;
  is_private: boolean;
  status_description?: string;
}

/** One image of a tag: GET /v2/namespaces/<ns>/repositories/<name>/tags → results[].images[] */
export interface HubTagImage {
  architecture: string;
  os: string;
  variant: string | null;
  digest?: string;
  size: number;
  status?: string;
  last_pushed?: string | null;
}

export interface HubTag {
  name: string;
  full_size?: number;
  digest?: string;
  media_type?: string;
  last_updated: string | null;
  tag_status?: string;
  images: HubTagImage[];
}

export interface HubTagPage {
  count: number;
  next: string | null;
  previous: string | null;
  results: HubTag[];
}

/** GET /v2/namespaces/<ns>/repositories?page_size=&ordering=-pull_count */
export interface HubNamespaceRepositoryPage {
  count: number;
  next: string | null;
  results: {
    name: string;
    namespace: string;
    description: string | null;
    star_count: number;
    pull_count: number;
    last_updated: string | null;
    is_private?: boolean;
  }[];
}
