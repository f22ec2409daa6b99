// One download (an image, or a bundle's images listed): overall and per-layer progress, speed, ETA and bytes, with pause,
// resume and cancel; then the load commands, or what went wrong and what to do.
import { useEffect, useRef, useState } from "preact/hooks";
import { formatPlatform } from "../../../shared/platform.ts";
import { formatBytes, formatDuration } from "../i18n/index.ts";
import { useI18n } from "../i18n/context.ts";
import type { JobView } from "./use-jobs.ts";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { LoadCommands } from "./LoadCommands.tsx";
import { JobSources } from "./sources/JobSources.tsx";

interface Props {
  job: JobView;
  onPause(): void;
  onResume(): void;
  onCancel(): void;
  onDismiss(): void;
}

// Screen readers hear progress every few seconds or every 10 %, whichever comes first,
// and the latest value once the pause is over; the bar itself is always current.
const ANNOUNCE_EVERY_MS = 3_000;
const ANNOUNCE_STEP = 10;

export function JobCard({ job, onPause, onResume, onCancel, onDismiss }: Props) {
  const { t, lang } = useI18n();
  const percent = job.total > 0 ? Math.floor((job.done / job.total) * 100) : 0;
  const active = job.status === "running" || job.status === "starting";
  const finished = job.status === "done";
  const statusText = t(`status.${job.status}`);
  const announced = useThrottledAnnouncement(active ? `${statusText}: ${t("progress.percent", { percent })}` : statusText, percent, active);

  const eta = job.eta ?? (job.speed > 0 ? (job.total - job.done) / job.speed : NaN);
  const titleId = `job-${job.id}-title`;
  const fileName = job.handle?.name ?? job.summary?.fileName;
  const card = useRef<HTMLElement>(null);
  // A card appears when its download starts (or resumes from the list): where the eye and
  // the keyboard are, not below the fold with nothing visible happening after the click.
  useEffect(() => {
    card.current?.scrollIntoView({ block: "nearest" });
    card.current?.focus({ preventScroll: true });
  }, []);
  return (
    <section class={`card job job-${job.status}`} aria-labelledby={titleId} data-job={job.id} data-status={job.status} ref={card} tabIndex={-1}>
      <h2 id={titleId}>
        {finished && fileName
          ? t("done.title", { name: job.reference, file: fileName })
          : t("progress.title", { name: job.reference })}
      </h2>
      {job.summary && <p class="muted">{formatPlatform(job.summary.platform)} · <code class="digest">{job.summary.digest}</code></p>}
      {job.bundle && (
        <ul class="muted bundle-images" data-testid="job-bundle">
          {job.bundle.images.map((image) => (
            <li key={`${image.reference} ${image.digest}`}>{image.reference} · {formatPlatform(image.platform)} · <code class="digest">{image.digest}</code></li>
          ))}
        </ul>
      )}
      <progress max={100} value={percent} aria-labelledby={titleId} aria-valuetext={t("progress.percent", { percent })} />
      <p class="stats">
        <span class="badge">{t(`status.${job.status}`)}</span>
        <span>{percent}%</span>
        <span>{t("progress.bytes", { done: formatBytes(job.done), total: formatBytes(job.total) })}</span>
        {job.status === "running" && job.speed > 0 && <span>{t("progress.speed", { speed: formatBytes(job.speed) })}</span>}
        {job.status === "running" && job.speed > 0 && <span>{t("progress.eta", { eta: formatDuration(eta, lang) })}</span>}
      </p>
      <p class="visually-hidden" aria-live="polite">{announced}</p>
      {job.sources && <JobSources sources={job.sources} events={job.sourceEvents ?? []} status={job.status} />}
      {job.space?.free !== undefined && !finished && (
        <p class="muted" data-testid="space-free">
          {t(job.space.free < job.space.needed ? "space.reportedShort" : "space.free", { free: formatBytes(job.space.free), needed: formatBytes(job.space.needed) })}
        </p>
      )}
      {job.summary && job.layers.length > 0 && !finished && (
        <details class="layers">
          <summary>{t("progress.layers", { count: job.summary.layers.length })}</summary>
          <ol>
            {job.summary.layers.map((layer, i) => (
              <li key={layer.digest}>
                <span class="layer-name">
                  {t("progress.layer", { index: i + 1 })} <code>{layer.digest.slice(7, 19)}</code> · {formatBytes(layer.size)}
                </span>
                <progress max={layer.size || 1} value={layer.size ? (job.layers[i] ?? 0) : 1} aria-label={t("progress.layer", { index: i + 1 })} />
              </li>
            ))}
          </ol>
        </details>
      )}
      {job.error && job.status === "failed" && <ErrorMessage error={job.error} />}
      {finished && fileName && <LoadCommands fileName={fileName} />}
      <div class="actions">
        {job.status === "running" && <button type="button" onClick={onPause}>{t("pause")}</button>}
        {(job.status === "paused" || (job.status === "failed" && job.via === "file")) && (
          <button type="button" class="primary" onClick={onResume}>{t("resume")}</button>
        )}
        {(active || job.status === "paused") && <button type="button" class="secondary" onClick={onCancel}>{t("cancel")}</button>}
        {(finished || job.status === "failed" || job.status === "cancelled") && (
          <button type="button" class="secondary" onClick={onDismiss}>{t("dismiss")}</button>
        )}
      </div>
    </section>
  );
}

/**
 * `text` as a live region should say it: at once when it is not progress or has moved
 * ANNOUNCE_STEP since last said, else at most every ANNOUNCE_EVERY_MS, ending on the latest.
 */
function useThrottledAnnouncement(text: string, percent: number, progress: boolean): string {
  const [said, setSaid] = useState("");
  const last = useRef({ at: 0, percent: -ANNOUNCE_STEP });
  const latest = useRef({ text, percent });
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  latest.current = { text, percent };

  useEffect(() => {
    const say = () => {
      clearTimeout(timer.current);
      timer.current = undefined;
      last.current = { at: Date.now(), percent: latest.current.percent };
      setSaid(latest.current.text);
    };
    const wait = last.current.at + ANNOUNCE_EVERY_MS - Date.now();
    if (!progress || wait <= 0 || percent - last.current.percent >= ANNOUNCE_STEP) say();
    else if (timer.current === undefined) timer.current = setTimeout(say, wait);
  }, [text]);
  useEffect(() => () => clearTimeout(timer.current), []);
  return said;
}
