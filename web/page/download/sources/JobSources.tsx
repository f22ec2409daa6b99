// A download card's sources, once it has several (issue #29): each source's bytes and
// speed (or that it was dropped), and each event as it happened: a source skipped for a
// layer, dropped, caught sending wrong bytes (one line: that it was dropped for it is
// said there), or two disagreeing when which one lies cannot be told; a failed download
// says to remove a source caught lying, since the next attempt would ask it again (or
// one of two that disagreed). Names and reasons are shown unchanged.
import type { SourceEvent, SourceStats } from "../../../../shared/engine/index.ts";
import type { JobStatus } from "../../../lib/protocol.ts";
import { formatBytes } from "../../i18n/index.ts";
import { useI18n } from "../../i18n/context.ts";

export function JobSources({ sources, events, status }: { sources: SourceStats[]; events: SourceEvent[]; status: JobStatus }) {
  const { t } = useI18n();
  const running = status === "running";
  const blamed = [...new Set(events.flatMap((e) => (e.kind === "blamed" ? [e.source] : [])))];
  const disputes = [...new Map(events.flatMap((e) => (e.kind === "disagree" ? [[e.sources.join(" "), e.sources] as const] : []))).values()];
  const shown = events.filter((e) => e.kind !== "dropped" || !blamed.includes(e.source));
  return (
    <div class="job-sources" data-testid="job-sources">
      <p class="muted">{t("sources.card", { count: sources.length })}</p>
      <ul>
        {sources.map((s) => (
          <li key={s.name} data-source={s.name} data-bytes={s.bytes}>
            <code>{s.name}</code>{s.name === location.origin ? ` (${t("sources.own")})` : ""}: {formatBytes(s.bytes)}
            {s.dropped !== undefined ? ` · ${t("sources.droppedState")}` : running && s.bytesPerSecond > 0 ? ` · ${t("progress.speed", { speed: formatBytes(s.bytesPerSecond) })}` : ""}
          </li>
        ))}
      </ul>
      {shown.length > 0 && (
        <ul class="source-events" data-testid="source-events">
          {shown.map((e, i) => <li key={i} data-kind={e.kind}>{eventText(e, t)}</li>)}
        </ul>
      )}
      {status === "failed" && blamed.map((source) => <p key={source} class="note" data-testid="source-advice">{t("sources.removeBlamed", { source })}</p>)}
      {status === "failed" && disputes.map(([a, b]) => <p key={`${a} ${b}`} class="note" data-testid="source-advice">{t("sources.removeOne", { a, b })}</p>)}
    </div>
  );
}

function eventText(e: SourceEvent, t: ReturnType<typeof useI18n>["t"]): string {
  if (e.kind === "skipped") return t("sources.skipped", { source: e.source, layer: e.digest, reason: e.reason });
  if (e.kind === "dropped") return t("sources.dropped", { source: e.source, reason: e.reason });
  if (e.kind === "disagree") return t("sources.disagree", { a: e.sources[0], b: e.sources[1], layer: e.digest, start: String(e.start), end: String(e.end), reason: e.reason });
  return t("sources.blamed", { source: e.source, layer: e.digest, start: String(e.start), end: String(e.end), reason: e.reason });
}
