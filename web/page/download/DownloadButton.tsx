// The Download button of both forms. While a download is starting (the save picker open,
// the job not yet registered) it says so and takes no second click: before, nothing on
// the page changed until the job's card appeared, often below the fold.
import { useI18n } from "../i18n/context.ts";

export function DownloadButton({ busy, disabled = false, onClick }: { busy: boolean; disabled?: boolean; onClick(): void }) {
  const { t } = useI18n();
  return (
    <button type="button" class="primary" onClick={onClick} disabled={busy || disabled} aria-busy={busy ? true : undefined}>
      {busy ? t("download.starting") : t("download")}
    </button>
  );
}
