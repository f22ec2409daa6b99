// The download form (#/ and #/download?image=…&platform=…): in Image mode the image
// fields and the summary before downloading, in Bundle mode several images for one file
// (bundle/); this page's downloads, unfinished ones to resume, and the history. It stays mounted (hidden) while other views show, so a download's card
// and the typed image survive a visit to search or the explorer.
import { useEffect, useRef, useState } from "preact/hooks";
import { formatPlatform } from "../../../shared/platform.ts";
import type { HistoryEntry } from "../../lib/db.ts";
import { canPickFile, canStream } from "../browser-download.ts";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { useI18n } from "../i18n/context.ts";
import { ImageReferenceFields } from "../image-form/ImageReferenceFields.tsx";
import { useImageLookup } from "../image-form/use-image-lookup.ts";
import type { Route } from "../route.ts";
import { BundleForm } from "./bundle/BundleForm.tsx";
import { useBundle } from "./bundle/use-bundle.ts";
import { downloadWorker } from "./download-client.ts";
import { HistoryList } from "./HistoryList.tsx";
import { JobCard } from "./JobCard.tsx";
import { SourcesSettings } from "./sources/SourcesSettings.tsx";
import { SummaryCard } from "./SummaryCard.tsx";
import { UnfinishedList } from "./UnfinishedList.tsx";
import { useDownloads, type Via } from "./use-downloads.ts";
import { useImageSummary } from "./use-image-summary.ts";
import { useTagSuggestions } from "./use-tag-suggestions.ts";

export function DownloadView({ route }: { route: Route }) {
  const { t } = useI18n();
  const form = useImageLookup({ overview: downloadWorker.overview });
  const { summary, error: summaryError } = useImageSummary(form);
  const suggestions = useTagSuggestions(form);
  const downloads = useDownloads(form);
  const [via, setVia] = useState<Via>(canPickFile() ? "file" : "stream");
  const online = useOnline();
  const input = useRef<HTMLInputElement>(null);
  const [mode, setMode] = useState<"image" | "bundle">("image");
  const bundle = useBundle();

  // #/download?image=…&platform=… (from search, an image page or the explorer) prefills the form.
  useEffect(() => {
    if (route.view !== "download") return;
    const image = route.params.get("image");
    if (!image) return;
    setMode("image");
    form.askPlatform(image, route.params.get("platform") ?? undefined);
    form.setReference(image);
  }, [route]);

  const again = (entry: HistoryEntry) => {
    if (entry.bundle) {
      setMode("bundle");
      bundle.restore(entry);
      scrollTo({ top: 0 });
      return;
    }
    setMode("image");
    form.askPlatform(entry.reference, formatPlatform(entry.platform));
    form.setReference(entry.reference);
    input.current?.focus();
    input.current?.scrollIntoView({ block: "center" });
  };

  return (
    <main hidden={route.view !== "download"}>
      <p class="tagline">{t("app.tagline")}</p>
      {!online && <p class="note offline" role="status">{t("offline")}</p>}
      <fieldset class="mode">
        <legend>{t("mode.label")}</legend>
        {(["image", "bundle"] as const).map((value) => (
          <label key={value} class="check">
            <input type="radio" name="mode" value={value} checked={mode === value} onChange={() => setMode(value)} />
            {t(`mode.${value}`)}
          </label>
        ))}
      </fieldset>
      <form class="card" hidden={mode !== "image"} onSubmit={(e) => e.preventDefault()} aria-label={t("ref.label")}>
        <ImageReferenceFields
          form={form} placeholder="ubuntu:22.04" help={t("ref.help")} inputRef={input} suggestions={suggestions} forgottenNotice={t("creds.forgotten")}
        />
      </form>
      {mode === "image" && <SourcesSettings />}
      {mode === "bundle" && (
        <BundleForm
          bundle={bundle} canPick={canPickFile()} busy={downloads.starting}
          onDownload={() => bundle.answer && void downloads.downloadBundle({ ...bundle.answer, images: bundle.rows.flatMap((r) => (r.summary ? [r.summary] : [])) }, bundle.fileName)}
        />
      )}
      {mode === "image" && summaryError && <div class="card"><ErrorMessage error={summaryError} /></div>}
      {mode === "image" && summary && (
        <SummaryCard
          summary={summary} via={via} canPick={canPickFile()} canStream={canStream()} onVia={setVia}
          onDownload={() => void downloads.download(summary, via)} busy={downloads.starting}
        />
      )}
      {downloads.error && <div class="card"><ErrorMessage error={downloads.error} /></div>}
      {downloads.jobs.map((job) => (
        <JobCard
          key={job.id}
          job={job}
          onPause={() => downloads.pause(job)}
          onResume={() => downloads.resume(job)}
          onCancel={() => downloads.cancel(job)}
          onDismiss={() => downloads.dismiss(job)}
        />
      ))}
      <UnfinishedList jobs={downloads.unfinished} onResume={(j) => void downloads.resumeStored(j)} onDiscard={(j) => void downloads.discardStored(j)} />
      <HistoryList entries={downloads.history} onAgain={again} onRemove={downloads.forgetFinished} />
    </main>
  );
}

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    addEventListener("online", update);
    addEventListener("offline", update);
    return () => {
      removeEventListener("online", update);
      removeEventListener("offline", update);
    };
  }, []);
  return online;
}
