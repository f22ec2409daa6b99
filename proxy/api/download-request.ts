// What /api/download was asked for: one image ({image, platform} or ?image=&platform=)
// or several in one tar (POST {"images": ["ref", …]} or {"images": [{image, platform}, …]},
// with an optional "platform" for entries that name none). Every entry passes the same
// checks as the single form; the count is bounded, since each image costs the Worker a
// few subrequests and every layer a few more (subrequest-budget.ts holds the whole
// download to the plan's limit).
import { parsePlatform, type Platform } from "../../shared/platform.ts";
import { parseReference, type Reference } from "../../shared/reference.ts";
import { ApiError } from "./errors.ts";
import { optionalText, requireText, type Params } from "./input.ts";

export const MAX_IMAGES = 10;
const REFERENCE_LIMIT = 512;
const PLATFORM_LIMIT = 64;

export interface ImageWanted {
  ref: Reference;
  platform?: Platform;
  /** Which entry asked for it, for messages naming it: "image", or "images[2]". */
  entry: string;
}

export const DOWNLOAD_FIELDS = { image: ["image"], platform: ["platform"], images: ["images"] };

export function imagesWanted(params: Params): ImageWanted[] {
  const fallback = optionalText(params, "platform", "the platform", PLATFORM_LIMIT);
  if (params.images === undefined || params.images === null) {
    return [wanted(requireText(params, "image", "the image reference", REFERENCE_LIMIT), fallback, "image")];
  }
  if (params.image !== undefined) throw new ApiError(400, "BAD_REQUEST", 'give either "image" or "images", not both', { key: "BAD_REQUEST.image_and_images" });
  const list = params.images;
  if (!Array.isArray(list)) throw new ApiError(400, "BAD_REQUEST", '"images" must be a list, e.g. ["redis:7", {"image": "nginx:1.27", "platform": "linux/arm64"}]', { key: "BAD_REQUEST.images_not_list" });
  if (list.length === 0) throw new ApiError(400, "BAD_REQUEST", '"images" is empty; name at least one image', { key: "BAD_REQUEST.images_empty" });
  if (list.length > MAX_IMAGES) {
    throw new ApiError(400, "BAD_REQUEST", `"images" names ${list.length} images; one download holds at most ${MAX_IMAGES}`, {
      key: "BAD_REQUEST.too_many_images",
      params: { count: String(list.length), limit: String(MAX_IMAGES) },
      hint: "split them over several downloads, or use the dockerdl CLI",
    });
  }
  const seen = new Set<string>();
  const out: ImageWanted[] = [];
  list.forEach((entry: unknown, i) => {
    const at = `images[${i}]`;
    const one = typeof entry === "string" ? { image: entry } : entry;
    if (typeof one !== "object" || one === null || Array.isArray(one)) {
      throw new ApiError(400, "BAD_REQUEST", `${at} must be an image reference or {"image": …, "platform": …}`, { key: "BAD_REQUEST.bad_entry", params: { entry: at } });
    }
    const unknown = Object.keys(one).filter((k) => k !== "image" && k !== "platform");
    if (unknown.length > 0) {
      const field = JSON.stringify(unknown[0]);
      throw new ApiError(400, "BAD_REQUEST", `${at} has unknown field ${field}; an entry takes image and platform`, { key: "BAD_REQUEST.entry_field", params: { entry: at, field } });
    }
    const fields = one as Params;
    const image = requireText(fields, "image", `${at}'s image reference`, REFERENCE_LIMIT);
    const platform = optionalText(fields, "platform", `${at}'s platform`, PLATFORM_LIMIT) ?? fallback;
    const key = `${image}\0${platform ?? ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(wanted(image, platform, at));
  });
  return out;
}

function wanted(image: string, platform: string | undefined, entry: string): ImageWanted {
  const ref = parseReference(image);
  return platform === undefined ? { ref, entry } : { ref, entry, platform: parsePlatform(platform) };
}
