// Finished downloads, newest first, with "download again"; a bundle lists its images.
import { formatPlatform } from "../../../shared/platform.ts";
import type { HistoryEntry } from "../../lib/db.ts";
import { formatBytes, formatDate } from "../i18n/index.ts";
import { useI18n } from "../i18n/context.ts";

export function HistoryList({ entries, onAgain, onRemove }: { entries: HistoryEntry[]; onAgain(entry: HistoryEntry): void; onRemove(entry: HistoryEntry): void }) {
  const { t, lang } = useI18n();
  return (
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">{t("history.title")}</h2>
      {entries.length === 0 ? (
        <p class="muted">{t("history.empty")}</p>
      ) : (
        <ul class="list">
          {entries.map((entry) => (
            <li key={entry.id} data-history={entry.id}>
              <div>
                {entry.bundle ? (
                  <>
                    <strong>{t("bundle.historyTitle", { count: entry.bundle.length })}</strong> <span class="muted">{formatBytes(entry.size)}</span>
                    <ul class="muted bundle-images">
                      {entry.bundle.map((image) => <li key={`${image.reference} ${image.digest}`}>{image.reference} · {formatPlatform(image.platform)}</li>)}
                    </ul>
                  </>
                ) : (
                  <>
                    <strong>{entry.reference}</strong> <span class="muted">{formatPlatform(entry.platform)} · {formatBytes(entry.size)}</span>
                  </>
                )}
                <div class="muted">
                  {!entry.bundle && <><code class="digest">{entry.digest.slice(0, 19)}…</code> · </>}{formatDate(entry.finishedAt, lang)} · {entry.fileName}
                </div>
              </div>
              <div class="actions">
                <button type="button" onClick={() => onAgain(entry)}>{t("download.again")}</button>
                <button type="button" class="secondary" onClick={() => onRemove(entry)} aria-label={`${t("history.remove")}: ${entry.reference}`}>
                  {t("history.remove")}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
