// Tag suggestions for the reference field: the repository's tags through the proxy, read
// by the shared registry client (its token dance and paging). Best effort: any failure
// just means no suggestions. Lexically last first, where new versions usually are.

import type { Reference } from "../../shared/reference.ts";
import { proxyClient, type Credentials } from "./image-lookup.ts";

const MAX_SUGGESTIONS = 500;

export async function listTags(ref: Reference, credentials?: Credentials, signal?: AbortSignal): Promise<string[]> {
  try {
    const { tags } = await proxyClient(credentials).listTags(ref, { max: MAX_SUGGESTIONS, ...(signal ? { signal } : {}) });
    return tags.reverse();
  } catch {
    return [];
  }
}
