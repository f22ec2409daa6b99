// What the download form shows before downloading: size, layers and digests of the
// image typed, for the platform chosen (the download worker resolves it). Cleared as
// soon as the image or the credentials change, since it belongs to the old ones.
import { useEffect, useState } from "preact/hooks";
import { formatPlatform } from "../../../shared/platform.ts";
import { errorInfoOf, type ErrorInfo } from "../../lib/errors.ts";
import type { ImageSummary } from "../../lib/protocol.ts";
import type { ImageLookup } from "../image-form/use-image-lookup.ts";
import { downloadWorker } from "./download-client.ts";

export function useImageSummary({ name, credentials, credentialsKey, lookup, platform }: ImageLookup): { summary?: ImageSummary; error?: ErrorInfo } {
  const [summary, setSummary] = useState<ImageSummary>();
  const [error, setError] = useState<ErrorInfo>();

  useEffect(() => {
    setSummary(undefined);
    setError(undefined);
  }, [name, credentialsKey]);

  useEffect(() => {
    setSummary(undefined);
    setError(undefined);
    if (lookup.status !== "ok" || !platform) return;
    const chosen = lookup.platforms.find((p) => formatPlatform(p) === platform);
    let current = true;
    downloadWorker.resolve({ reference: name, platform: chosen, credentials }).then(
      (found) => current && setSummary(found),
      (failure: unknown) => current && setError(errorInfoOf(failure)),
    );
    return () => {
      current = false;
    };
  }, [lookup, platform]);

  return { summary, error };
}
