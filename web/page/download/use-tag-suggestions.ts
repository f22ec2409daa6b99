// Tag suggestions for the reference field: once typing pauses, the tags of the
// repository being typed (through the download worker, with the form's credentials),
// offered as whole references, at most 50.
import { useEffect, useState } from "preact/hooks";
import { familiarRepository } from "../../../shared/reference.ts";
import { debounced } from "../debounce.ts";
import type { ImageLookup } from "../image-form/use-image-lookup.ts";
import { downloadWorker } from "./download-client.ts";

const SHOWN = 50;

export function useTagSuggestions({ parsed, credentials, credentialsKey }: ImageLookup): string[] {
  const repository = parsed.ref ? familiarRepository(parsed.ref) : "";
  const [tags, setTags] = useState<string[]>([]);
  useEffect(() => {
    setTags([]);
    if (!repository) return;
    return debounced(500, (live) => {
      downloadWorker.tags({ reference: `${repository}:latest`, credentials }).then((found) => live() && setTags(found), () => {});
    });
  }, [repository, credentialsKey]);
  return tags.slice(0, SHOWN).map((tag) => `${repository}:${tag}`);
}
