// Whether anyone may read a repository: its upstream asked without credentials (with the
// anonymous token dance of its own challenge, and a HEAD, which Docker Hub does not count
// against its pull limit). The verdict is remembered per upstream and repository, never
// taken from a client; any doubt (errors included) means not public. The cache asks it to
// decide what may be served to anyone; operator.ts asks it, with a shorter memory, before
// lending the operator's account to an anonymous client.
import { anonymousClient, upstreamReference, type UpstreamRepository } from "./client.ts";

interface Verdict {
  value: boolean;
  checked: number;
}

/** Verdicts kept at most, so naming many repositories cannot grow an isolate's memory without end. */
const MAX_VERDICTS = 10_000;
const verdicts = new Map<string, Verdict>();

/**
 * Whether the upstream serves `path` ("manifests/<ref>", "blobs/<digest>") of the
 * repository without credentials; a verdict older than `maxAgeMs` by the clock `now` is asked again.
 */
export async function anonymouslyReadable(repository: UpstreamRepository, path: string, maxAgeMs: number, now: () => number): Promise<boolean> {
  const key = `${repository.upstream.href} ${repository.upstreamName}`;
  const known = verdicts.get(key);
  if (known && now() - known.checked < maxAgeMs) return known.value;
  let value = false;
  try {
    value = await anonymousClient(repository).canRead(upstreamReference(repository), path);
  } catch {
    value = false;
  }
  if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
  verdicts.set(key, { value, checked: now() });
  return value;
}
