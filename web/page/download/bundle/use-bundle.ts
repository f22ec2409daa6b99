// The Bundle form's state: the box's text, the picked or dropped file (read here, at most
// 1 MiB, as the CLI's -f), the platform for images that name none, the rows they make
// (bundle-rows.ts), and the download worker's lookup of those rows once typing pauses:
// each image's platform and size, and the one file's total with shared layers once.
import { useEffect, useMemo, useState } from "preact/hooks";
import { formatPlatform, parsePlatform } from "../../../../shared/platform.ts";
import type { HistoryEntry } from "../../../lib/db.ts";
import { errorInfoOf, type ErrorInfo } from "../../../lib/errors.ts";
import type { BundleAnswer, BundleRequest, ImageSummary } from "../../../lib/protocol.ts";
import { debounced } from "../../debounce.ts";
import { formatBytes } from "../../i18n/index.ts";
import { downloadWorker } from "../download-client.ts";
import { bundleRows, type BundleFile, type BundleRow } from "./bundle-rows.ts";

const FILE_LIMIT = 1 << 20;
export const DEFAULT_BUNDLE_PLATFORM = "linux/amd64";

type Lookup = { key: string; status: "loading" } | { key: string; status: "ok"; answer: BundleAnswer } | { key: string; status: "error"; error: ErrorInfo };

/** A row with what the lookup found for it (a summary or a failure), once it answered. */
export interface LookedUpRow extends BundleRow {
  summary?: ImageSummary;
}

export function useBundle() {
  const [text, setText] = useState("");
  const [file, setFile] = useState<BundleFile>();
  const [readError, setReadError] = useState<ErrorInfo>();
  const [platform, setPlatform] = useState(DEFAULT_BUNDLE_PLATFORM);
  const parsed = useMemo(() => bundleRows(text, file), [text, file]);
  const platformError = useMemo(() => {
    try {
      parsePlatform(platform);
      return undefined;
    } catch (error) {
      return errorInfoOf(error);
    }
  }, [platform]);

  const asked = parsed.rows.filter((r) => !r.error);
  const requests: BundleRequest[] = asked.map((r) => ({ reference: r.reference, ...(r.platform === undefined ? {} : { platform: r.platform }) }));
  const key = JSON.stringify([requests, platform]);
  const [lookup, setLookup] = useState<Lookup>();
  useEffect(() => {
    if (requests.length === 0 || platformError) {
      setLookup(undefined);
      return;
    }
    return debounced(400, (live) => {
      setLookup({ key, status: "loading" });
      downloadWorker.resolveBundle({ images: requests, platform }).then(
        (answer) => live() && setLookup({ key, status: "ok", answer }),
        (error: unknown) => live() && setLookup({ key, status: "error", error: errorInfoOf(error) }),
      );
    });
  }, [key, platformError === undefined]);

  const current = lookup?.key === key ? lookup : undefined;
  const answer = current?.status === "ok" ? current.answer : undefined;
  const rows: LookedUpRow[] = parsed.rows.map((row) => {
    const found = answer?.images[asked.indexOf(row)];
    if (!found) return row;
    return found.ok ? { ...row, summary: found.summary } : { ...row, error: found.error };
  });
  const ready = answer !== undefined && rows.length > 0 && rows.every((r) => r.summary) && !parsed.fileError && !readError;

  /** Reads a picked or dropped file; one too large to be a list is refused, as the CLI refuses it. */
  const pickFile = async (picked: File) => {
    setReadError(undefined);
    if (picked.size > FILE_LIMIT) {
      setFile(undefined);
      setReadError({
        code: "BAD_IMAGE_LIST", key: "BAD_IMAGE_LIST.too_big", params: { file: picked.name, size: formatBytes(picked.size) },
        message: `${picked.name} is ${formatBytes(picked.size)}; an image list or compose file is expected (at most 1 MiB)`,
      });
      return;
    }
    try {
      setFile({ name: picked.name, text: await picked.text() });
    } catch (error) {
      setReadError(errorInfoOf(error));
    }
  };

  /** "Download again" of a bundle from history: its images with the platforms they had. */
  const restore = (entry: HistoryEntry) => {
    setText("");
    setReadError(undefined);
    const images = (entry.bundle ?? []).map((i) => ({ reference: i.reference, platform: formatPlatform(i.platform) }));
    setFile({ name: entry.fileName, images });
  };

  return {
    text, setText, file, clearFile: () => setFile(undefined), pickFile, readError, restore,
    platform, setPlatform, platformError,
    rows, fileError: parsed.fileError, builtOnly: parsed.builtOnly, fileName: parsed.fileName,
    loading: current?.status === "loading" || (requests.length > 0 && !current && !platformError),
    lookupError: current?.status === "error" ? current.error : undefined,
    answer, ready,
  };
}

export type BundleState = ReturnType<typeof useBundle>;
