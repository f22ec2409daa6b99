// The BlobSource that fetches from a registry (or a dockerdl mirror) through the
// registry client, including foreign layers from their own URLs.

import { DockerdlError } from "../errors.ts";
import type { RegistryClient, ResolvedImage } from "../registry/client.ts";
import type { BlobSource } from "./types.ts";

export function registryBlobSource(client: RegistryClient, image: ResolvedImage): BlobSource {
  const layers = new Map(image.layers.map((l) => [l.digest, l]));
  return {
    fetchRange(digest, start, end, signal) {
      const layer = layers.get(digest);
      if (layer === undefined) {
        throw new DockerdlError("BAD_MANIFEST", `blob ${digest} is not a layer of ${image.manifest.digest}`, { hint: "this is a bug in dockerdl" });
      }
      return client.fetchBlob(image.reference, layer, { start, end }, signal);
    },
  };
}
