// Pushing an image of a test's own to the harness's token-auth registry, as PUSH_USER:
// for tests that need contents no shared fixture has (a layer two images share, many tags).
import { pushImage } from "./fixtures.ts";
import type { BuiltImage } from "./image-builder.ts";
import { harness } from "./injected.ts";
import { pushManifest } from "./registry-push.ts";
import { REGISTRY_SERVICE } from "./registry.ts";

/** A push token for `repository` from the harness token server. */
export async function pushToken(repository: string): Promise<string> {
  const auth = Buffer.from(`${harness.pushUser.username}:${harness.pushUser.password}`).toString("base64");
  const response = await fetch(`${harness.tokenServer}/token?service=${REGISTRY_SERVICE}&scope=repository:${repository}:pull,push`, {
    headers: { authorization: `Basic ${auth}` },
  });
  if (!response.ok) throw new Error(`no push token for ${repository}: ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** Pushes `image` as repository:tag, and under each of `moreTags` too. */
export async function pushOwnImage(repository: string, image: BuiltImage, tag: string, moreTags: string[] = []): Promise<void> {
  const token = await pushToken(repository);
  const pusher = { url: harness.registry, authorization: () => `Bearer ${token}` };
  await pushImage(pusher, repository, image, tag);
  for (const t of moreTags) await pushManifest(pusher, repository, t, image.manifest.bytes, image.mediaType);
}
