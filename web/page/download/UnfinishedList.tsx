// Downloads a reload or a crash interrupted, offered for resumption (the file handle
// and the engine's state are in IndexedDB).
import { formatPlatform } from "../../../shared/platform.ts";
import type { UnfinishedJob } from "../../lib/db.ts";
import { formatBytes, formatDate } from "../i18n/index.ts";
import { useI18n } from "../i18n/context.ts";

export function UnfinishedList({ jobs, onResume, onDiscard }: { jobs: UnfinishedJob[]; onResume(job: UnfinishedJob): void; onDiscard(job: UnfinishedJob): void }) {
  const { t, lang } = useI18n();
  if (jobs.length === 0) return null;
  return (
    <section class="card" aria-labelledby="unfinished-title">
      <h2 id="unfinished-title">{t("unfinished.title")}</h2>
      <ul class="list">
        {jobs.map((job) => {
          const done = job.doneBytes;
          return (
            <li key={job.id} data-unfinished={job.id}>
              <div>
                <strong>{job.reference}</strong> <span class="muted">{job.bundle ? t("bundle.historyTitle", { count: job.bundle.length }) : formatPlatform(job.platform)} · {job.fileName}</span>
                <div class="muted">
                  {t("unfinished.progress", { done: formatBytes(done), total: formatBytes(job.totalSize) })} · {formatDate(job.updatedAt, lang)}
                </div>
              </div>
              <div class="actions">
                <button type="button" class="primary" onClick={() => onResume(job)}>{t("resume")}</button>
                <button type="button" class="secondary" onClick={() => onDiscard(job)}>{t("unfinished.discard")}</button>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
