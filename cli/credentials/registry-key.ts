// How docker and podman name a registry in their credential files, and which entry fits
// a registry and repository: docker's rule (ConvertToHostname: drop the scheme and any
// path, so "https://index.docker.io/v1/" is index.docker.io) with Docker Hub's names
// taken as one (shared/reference.ts's names for it), plus podman's "host/namespace/repo"
// entries, the longest match first.
import { isDockerHub, normaliseRegistry } from "../../shared/reference.ts";

/** The key a credential helper is asked with: Docker Hub's legacy URL, else the host. */
export function helperServerUrl(registry: string): string {
  return isDockerHub(registry) ? "https://index.docker.io/v1/" : registry;
}

/** An entry's key as [host, path] ("https://ghcr.io/v2/" → ["ghcr.io", ""], "quay.io/team" → ["quay.io", "team"]). */
function splitKey(key: string): [string, string] {
  const bare = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, "");
  const slash = bare.indexOf("/");
  if (slash < 0) return [normaliseRegistry(bare), ""];
  const host = normaliseRegistry(bare.slice(0, slash));
  // Docker's keys carry an API path (/v1/, /v2/); podman's carry a repository path.
  const path = bare.slice(slash + 1).replace(/\/+$/, "");
  return [host, /^v[12]$/.test(path) || /^https?:/i.test(key.trim()) ? "" : path];
}

/**
 * The key of `keys` for `registry` and `repository`, or undefined: a repository-path
 * entry (podman) that covers the repository wins over the host's entry.
 */
export function matchKey(keys: Iterable<string>, registry: string, repository: string): string | undefined {
  const host = normaliseRegistry(registry);
  let best: { key: string; length: number } | undefined;
  for (const key of keys) {
    const [keyHost, path] = splitKey(key);
    if (keyHost !== host) continue;
    if (path !== "" && repository !== path && !repository.startsWith(`${path}/`)) continue;
    if (best === undefined || path.length > best.length) best = { key, length: path.length };
  }
  return best?.key;
}
