// Tag suggestions for the reference field: the repository's tags/list through the
// proxy, with the same token dance the registry client does (its own API has no tag
// listing yet). Best effort: any failure just means no suggestions.

import { RegistryAuth, pullScope, type Credentials } from "../../shared/registry-auth.ts";
import { DOCKER_HUB, type Reference } from "../../shared/reference.ts";

export async function listTags(ref: Reference, credentials?: Credentials, signal?: AbortSignal): Promise<string[]> {
  const fetcher = (url: string, init: RequestInit) => fetch(url, { ...init, cache: "no-store" });
  const auth = new RegistryAuth((url, init) => fetcher(url, init), credentials && credentials.username !== "" ? credentials : undefined);
  const base = self.location.origin;
  const name = ref.registry === DOCKER_HUB ? ref.repository : `${ref.registry}/${ref.repository}`;
  const url = `${base}/v2/${name}/tags/list?n=500`;
  let response = await fetcher(url, { signal });
  if (response.status === 401) {
    const challenge = response.headers.get("www-authenticate");
    await response.body?.cancel();
    const authorization = await auth.answerChallenge(base, challenge, pullScope(name), undefined, new URL(base).host, signal);
    response = await fetcher(url, { headers: { authorization }, signal });
  }
  if (!response.ok) {
    await response.body?.cancel();
    return [];
  }
  const body = (await response.json()) as { tags?: unknown };
  return Array.isArray(body.tags) ? body.tags.filter((t): t is string => typeof t === "string").reverse() : [];
}
