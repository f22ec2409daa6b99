// What the person checks before downloading: size, layer count, digests, file name,
// and how the file is saved.
import type { ImageSummary } from "../../lib/protocol.ts";
import { formatBytes } from "../i18n/index.ts";
import { SaveVia } from "../components/SaveVia.tsx";
import { useI18n } from "../i18n/context.ts";
import { DownloadButton } from "./DownloadButton.tsx";

interface Props {
  summary: ImageSummary;
  via: "file" | "stream";
  canPick: boolean;
  canStream: boolean;
  onVia(via: "file" | "stream"): void;
  onDownload(): void;
  busy: boolean;
}

export function SummaryCard({ summary, via, canPick, canStream, onVia, onDownload, busy }: Props) {
  const { t } = useI18n();
  return (
    <section class="card summary" aria-labelledby="summary-title">
      <h2 id="summary-title">{t("summary.title")}</h2>
      <dl>
        <dt>{t("summary.size")}</dt>
        <dd data-testid="total-size">
          {formatBytes(summary.totalSize)} <span class="muted">({summary.totalSize.toLocaleString()} B)</span>
          <span class="muted size-note" data-testid="size-note">{t("summary.sizeNote")}</span>
        </dd>
        <dt>{t("summary.layers")}</dt>
        <dd data-testid="layer-count">{summary.layers.length}</dd>
        <dt>{t("summary.digest")}</dt>
        <dd><code class="digest" data-testid="digest">{summary.digest}</code></dd>
        {summary.topDigest !== summary.digest && (
          <>
            <dt>{t("summary.index")}</dt>
            <dd><code class="digest">{summary.topDigest}</code></dd>
          </>
        )}
        <dt>{t("summary.file")}</dt>
        <dd><code>{summary.fileName}</code></dd>
      </dl>
      <SaveVia
        name="via" via={via} canPick={canPick} canStream={canStream} onVia={onVia}
        words={{ legend: t("save.label"), file: t("save.file"), stream: t("save.stream"), streamOnly: t("save.streamOnly") }}
      />
      {via === "file" && canPick && (
        <p class="note" data-testid="space-note">{t("space.file", { size: formatBytes(summary.totalSize), needed: formatBytes(2 * summary.totalSize) })}</p>
      )}
      <DownloadButton busy={busy} onClick={onDownload} />
    </section>
  );
}
