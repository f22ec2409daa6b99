// The small inspection commands: `tags` (every tag, following the registry's pages),
// `digest` (the manifest digest a reference resolves to; with --platform, that
// platform's manifest), `manifest` (its bytes exactly as served, so they still hash to
// the digest) and `config` (the image config, for this machine's platform unless
// --platform says otherwise). They reach the registry as pull does.

import { parsePlatform, type Platform } from "../shared/platform.ts";
import { parseReference, type Reference } from "../shared/reference.ts";
import type { RegistryClient } from "../shared/registry/client.ts";
import { explainNotFound } from "../shared/registry/not-found.ts";
import type { InspectCommand } from "./args.ts";
import { hostPlatform } from "./platform-arg.ts";
import { registryClientFor, type PullIO } from "./pull.ts";

/** Enough for any real repository; a registry with more is cut off with a note. */
const TAGS_MAX = 100_000;
/** Docker Hub answers at most 100 tags a page, whatever is asked for. */
const TAGS_PAGE = 100;

export async function inspect(cmd: InspectCommand, io: PullIO): Promise<void> {
  const ref = parseReference(cmd.reference);
  const platform = cmd.platform === undefined ? undefined : parsePlatform(cmd.platform);
  const client = await registryClientFor(cmd, ref, io);
  try {
    await answer(cmd, client, ref, platform, io);
  } catch (error) {
    throw await explainNotFound(error, ref, client, ref.registry, io.signal);
  }
}

async function answer(cmd: InspectCommand, client: RegistryClient, ref: Reference, platform: Platform | undefined, io: PullIO): Promise<void> {
  const signal = io.signal;
  const write = (bytes: Uint8Array | string) => new Promise<void>((resolve, reject) => {
    io.stdout.write(bytes, (error) => (error ? reject(error) : resolve()));
  });

  if (cmd.command === "tags") {
    const list = await client.listTags(ref, { max: TAGS_MAX, pageSize: TAGS_PAGE, signal });
    await write(list.tags.map((t) => `${t}\n`).join(""));
    if (list.truncated) io.stderr.write(`dockerdl: only the first ${TAGS_MAX} tags are listed\n`);
    return;
  }
  if (platform === undefined && cmd.command !== "config") {
    // What the reference names itself: for a multi-platform image, its index.
    const manifest = await client.getManifest(ref, ref.digest ?? ref.tag ?? "latest", signal);
    await write(cmd.command === "digest" ? `${manifest.digest}\n` : manifest.bytes);
    return;
  }
  const image = await client.resolveImage(ref, platform, { defaultPlatform: hostPlatform(), signal });
  if (cmd.command === "digest") await write(`${image.manifest.digest}\n`);
  else if (cmd.command === "manifest") await write(image.manifest.bytes);
  else await write(image.config.bytes);
}
