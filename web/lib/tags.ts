// Tag suggestions for the reference field: the repository's tags/list through the
// proxy, with the same token dance the registry client does (its own API has no tag
// listing yet). Best effort: any failure just means no suggestions.

import { RegistryAuth, pullScope, type Credentials } from "../../shared/registry-auth.ts";
import type { Reference } from "../../shared/reference.ts";
import { proxyClient } from "./image-lookup.ts";

const fetcher = (url: string, init: RequestInit) => fetch(url, { ...init, cache: "no-store" });

export async function listTags(ref: Reference, credentials?: Credentials, signal?: AbortSignal): Promise<string[]> {
  // The proxy's URL for this repository, as the registry client would ask it.
  const { base, name, host } = proxyClient(credentials).endpoint(ref);
  const url = `${base}/v2/${name}/tags/list?n=500`;
  let response = await fetcher(url, { signal });
  if (response.status === 401) {
    const challenge = response.headers.get("www-authenticate");
    await response.body?.cancel();
    const auth = new RegistryAuth(fetcher, credentials && credentials.username !== "" ? credentials : undefined);
    const authorization = await auth.answerChallenge(base, challenge, pullScope(name), undefined, host, signal);
    response = await fetcher(url, { headers: { authorization }, signal });
  }
  if (!response.ok) {
    await response.body?.cancel();
    return [];
  }
  const body = (await response.json()) as { tags?: unknown };
  return Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === "string").reverse() : [];
}
