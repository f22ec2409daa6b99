// A download card's sources, once it has several (issue #29): each source's bytes and
// speed (or why it was dropped), and each event as it happened: a source skipped for a
// layer, dropped, or caught sending wrong bytes. Names and reasons are shown unchanged.
import type { SourceEvent, SourceStats } from "../../../../shared/engine/index.ts";
import { formatBytes } from "../../i18n/index.ts";
import { useI18n } from "../../i18n/context.ts";

export function JobSources({ sources, events, running }: { sources: SourceStats[]; events: SourceEvent[]; running: boolean }) {
  const { t } = useI18n();
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
      {events.length > 0 && (
        <ul class="source-events" data-testid="source-events">
          {events.map((e, i) => <li key={i}>{eventText(e, t)}</li>)}
        </ul>
      )}
    </div>
  );
}

function eventText(e: SourceEvent, t: ReturnType<typeof useI18n>["t"]): string {
  if (e.kind === "skipped") return t("sources.skipped", { source: e.source, layer: e.digest, reason: e.reason });
  if (e.kind === "dropped") return t("sources.dropped", { source: e.source, reason: e.reason });
  return t("sources.blamed", { source: e.source, layer: e.digest, start: String(e.start), end: String(e.end), reason: e.reason });
}
