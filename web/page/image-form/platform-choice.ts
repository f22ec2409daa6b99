// Which platform the form selects after a lookup. One asked for (from the address, or a
// history entry) is read as the CLI reads --platform (shared/platform.ts: `arm64` is
// linux/arm64, arm64 matches arm64/v8) and chosen as the CLI chooses; one the image
// does not offer is never swapped for another: the answer is no selection and the
// error that lists what the image offers. Without a wish, the current choice stays,
// else linux/amd64, else the first.
import { formatPlatform, parsePlatform, selectManifest, type Platform } from "../../../shared/platform.ts";
import { errorInfoOf, type ErrorInfo } from "../../lib/errors.ts";

const DEFAULT_PLATFORM = "linux/amd64";

export function choosePlatform(platforms: Platform[], asked: string | undefined, now: string, imageName: string): { platform: string; error?: ErrorInfo } {
  const names = platforms.map(formatPlatform);
  if (asked === undefined || asked.trim() === "") {
    if (names.includes(now)) return { platform: now };
    return { platform: names.includes(DEFAULT_PLATFORM) ? DEFAULT_PLATFORM : (names[0] ?? "") };
  }
  try {
    const wanted = parsePlatform(asked);
    // The descriptors' digests carry the platform's name, so the one chosen names itself.
    const manifests = platforms.map((platform, i) => ({ mediaType: "", digest: names[i], size: 0, platform }));
    return { platform: selectManifest({ schemaVersion: 2, manifests }, wanted, imageName).digest };
  } catch (error) {
    return { platform: "", error: errorInfoOf(error) };
  }
}
