// The BlobSource that fetches from a registry (or a dockerdl mirror) through the
// registry client, including foreign layers from their own URLs; a server that ignores
// Range hands its whole body on (runsOn), for the engine to read on. For a bundle of
// several images, a layer they share is fetched from the first image that has it.

import { DockerdlError } from "../errors.ts";
import type { RegistryClient, ResolvedImage } from "../registry/client.ts";
import type { BlobSource } from "./types.ts";

/** `client`: one for every image, or the one for each image (a bundle from several registries). */
export function registryBlobSource(client: RegistryClient | ((image: ResolvedImage) => RegistryClient), images: ResolvedImage | readonly ResolvedImage[]): BlobSource {
  const clientOf = typeof client === "function" ? client : () => client;
  const list: readonly ResolvedImage[] = "layers" in images ? [images] : images;
  const owners = new Map<string, { image: ResolvedImage; layer: ResolvedImage["layers"][number] }>();
  for (const image of list) for (const layer of image.layers) if (!owners.has(layer.digest)) owners.set(layer.digest, { image, layer });
  return {
    fetchRange(digest, start, end, signal) {
      const owner = owners.get(digest);
      if (owner === undefined) {
        throw new DockerdlError("BAD_MANIFEST", `blob ${digest} is not a layer of ${list.map((i) => i.manifest.digest).join(", ")}`, { hint: "this is a bug in dockerdl" });
      }
      return clientOf(owner.image).fetchBlobBody(owner.image.reference, owner.layer, { start, end }, signal, true);
    },
  };
}
