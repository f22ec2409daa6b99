// What the page may ask the explore worker (lib/rpc.ts): look an image up, open it (read
// every layer, from a saved file, the layer cache or a verified fetch, into the merged
// filesystem), answer the tree's questions about the open image, and save one file, a
// folder as a ZIP, or the whole flattened filesystem as a ZIP or a tar. The page's types
// for these calls come from this object: `Remote<ExploreServices>`.
import { DockerdlError } from "../../../shared/errors.ts";
import type { Platform } from "../../../shared/platform.ts";
import { parseReference } from "../../../shared/reference.ts";
import { normalizeTarPath } from "../../../shared/rootfs.ts";
import { lookUp, proxyClient } from "../../lib/image-lookup.ts";
import type { ImageQuery } from "../../lib/protocol.ts";
import type { Call } from "../../lib/rpc.ts";
import { openImage, type Session } from "./open-image.ts";
import { save } from "./save.ts";
import type { ExploreProgress, SaveTarget, SaveWhat } from "./types.ts";

// The open image: the tree's questions and the saves are about it.
let session: Session | undefined;

function current(): Session {
  if (!session) throw new DockerdlError("NOT_OPEN", "no image is open", { hint: "open an image first" });
  return session;
}

export const services = {
  overview: ({ reference, credentials }: ImageQuery, call: Call) => lookUp(proxyClient(credentials), parseReference(reference), call.signal),

  open: async (query: ImageQuery & { platform?: Platform | undefined }, call: Call<ExploreProgress>) => {
    session = await openImage(query, call);
    return session.opened;
  },

  children: ({ path }: { path: string }) => current().tree.children(normalizeTarPath(path)),

  search: ({ query, limit }: { query: string; limit: number }) => current().tree.search(query, limit),

  save: ({ what, target }: { what: SaveWhat; target: SaveTarget }, call: Call<ExploreProgress>) => save(current(), what, target, call),
};

export type ExploreServices = typeof services;
