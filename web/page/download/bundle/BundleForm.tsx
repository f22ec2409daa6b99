// The Bundle form: references pasted one a line, or a compose.yaml / images.txt picked or
// dropped, the platform for images that name none, then the table of images
// (BundleTable) and the one file's total, and the download into a picked file. A bundle is
// saved through File System Access only; without it the form says to use the CLI.
import { ErrorMessage } from "../../components/ErrorMessage.tsx";
import { useI18n } from "../../i18n/context.ts";
import { formatBytes } from "../../i18n/index.ts";
import { DownloadButton } from "../DownloadButton.tsx";
import { BundleTable } from "./BundleTable.tsx";
import type { BundleState } from "./use-bundle.ts";

const COMMON_PLATFORMS = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/386", "linux/ppc64le", "linux/s390x", "linux/riscv64"];

interface Props {
  bundle: BundleState;
  canPick: boolean;
  /** A download is starting (DownloadButton). */
  busy: boolean;
  onDownload(): void;
}

export function BundleForm({ bundle, canPick, busy, onDownload }: Props) {
  const { t } = useI18n();
  const { file } = bundle;
  const onDrop = (event: DragEvent) => {
    const dropped = event.dataTransfer?.files[0];
    if (!dropped) return;
    event.preventDefault();
    void bundle.pickFile(dropped);
  };
  return (
    <>
      <form class="card bundle-form" onSubmit={(e) => e.preventDefault()} aria-label={t("bundle.title")} onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
        <label for="bundle-references">{t("bundle.label")}</label>
        <textarea
          id="bundle-references" name="bundle-references" rows={5} autocomplete="off" autocapitalize="off" spellcheck={false}
          placeholder={"ubuntu:22.04\nnginx:1.27  # web"} value={bundle.text} onInput={(e) => bundle.setText(e.currentTarget.value)}
          aria-describedby="bundle-help"
        />
        <p id="bundle-help" class="muted">{t("bundle.help")}</p>
        <label for="bundle-file">{t("bundle.file")}</label>
        {/* The browser's own control said "No file chosen" once a file was read (its value is
            cleared, so the same file can be picked again): it is hidden, still focusable, and
            a label of ours opens it and says which file the bundle reads. */}
        <div class="file-pick">
          <input
            id="bundle-file" name="bundle-file" type="file" class="visually-hidden" accept=".yaml,.yml,.txt,.list,text/plain"
            aria-describedby="bundle-file-chosen" onChange={(e) => {
              const picked = e.currentTarget.files?.[0];
              if (picked) void bundle.pickFile(picked);
              e.currentTarget.value = "";
            }}
          />
          <label for="bundle-file" class="button">{t("bundle.chooseFile")}</label>
          <span id="bundle-file-chosen" data-testid="bundle-file-name" class={file ? undefined : "muted"}>{file ? file.name : t("bundle.noFile")}</span>
          {file && <button type="button" class="secondary" onClick={bundle.clearFile}>{t("bundle.removeFile")}</button>}
        </div>
        {bundle.readError && <ErrorMessage error={bundle.readError} />}
        {bundle.fileError && <ErrorMessage error={bundle.fileError} id="bundle-file-error" />}
        {file && bundle.builtOnly.length > 0 && <p class="note">{t("bundle.builtOnly", { file: file.name, services: bundle.builtOnly.join(", ") })}</p>}
        <label class="platform" for="bundle-platform">
          {t("bundle.platform")}
          <input
            id="bundle-platform" name="bundle-platform" list="bundle-platforms" autocomplete="off" autocapitalize="off" spellcheck={false}
            value={bundle.platform} onInput={(e) => bundle.setPlatform(e.currentTarget.value)} aria-invalid={bundle.platformError ? true : undefined}
          />
        </label>
        <datalist id="bundle-platforms">{COMMON_PLATFORMS.map((p) => <option key={p} value={p} />)}</datalist>
        {bundle.platformError && <ErrorMessage error={bundle.platformError} />}
      </form>
      {bundle.lookupError && <div class="card"><ErrorMessage error={bundle.lookupError} /></div>}
      {bundle.rows.length > 0 && (
        <section class="card summary bundle-summary" aria-labelledby="bundle-summary-title">
          <h2 id="bundle-summary-title">{t("bundle.summaryTitle", { count: bundle.rows.length })}</h2>
          <BundleTable rows={bundle.rows} loading={bundle.loading} />
          {bundle.answer && bundle.answer.totalSize > 0 && <BundleTotal totalSize={bundle.answer.totalSize} separateSize={bundle.answer.separateSize} count={bundle.rows.filter((r) => r.summary).length} />}
          <dl>
            <dt>{t("summary.file")}</dt>
            <dd><code data-testid="bundle-file-out">{bundle.fileName}</code></dd>
          </dl>
          {!canPick && <p class="note" data-testid="bundle-file-only">{t("bundle.fileOnly")}</p>}
          {canPick && !bundle.ready && !bundle.loading && <p class="note">{t("bundle.fix")}</p>}
          {canPick && (
            <DownloadButton busy={busy} disabled={!bundle.ready} onClick={onDownload} />
          )}
        </section>
      )}
    </>
  );
}

function BundleTotal({ totalSize, separateSize, count }: { totalSize: number; separateSize: number; count: number }) {
  const { t } = useI18n();
  const saved = separateSize - totalSize;
  return (
    <p class="bundle-total">
      <strong data-testid="bundle-total" data-bytes={totalSize}>{t("bundle.total", { total: formatBytes(totalSize), count })}</strong>
      {saved > 0 && <span class="muted" data-testid="bundle-saved" data-bytes={saved}> {t("bundle.saved", { saved: formatBytes(saved), separate: formatBytes(separateSize) })}</span>}
    </p>
  );
}
