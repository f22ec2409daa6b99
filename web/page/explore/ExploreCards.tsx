// The explore view's cards: reading an image's layers (with where each comes from), the
// opened image (its facts, layers, saved files waiting for permission, and export
// buttons), and one save's row in the list of saves.
import { formatPlatform } from "../../../shared/platform.ts";
import type { ErrorInfo } from "../../lib/errors.ts";
import type { ExploreProgress, LayerSourceKind, OpenedImage, SaveResult, SaveWhat, SavedFileWaiting } from "../../workers/explore/types.ts";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { SaveVia } from "../components/SaveVia.tsx";
import { formatBytes } from "../i18n/index.ts";
import { useExploreText } from "./i18n.ts";

/** One save as its row shows it. */
export interface SaveView {
  id: string;
  kind: SaveWhat["kind"];
  label: string;
  fileName: string;
  status: "running" | "done" | "failed" | "cancelled";
  done: number;
  total: number;
  result?: SaveResult;
  error?: ErrorInfo;
}

export function ReadingCard({ progress }: { progress?: ExploreProgress }) {
  const { t } = useExploreText();
  return (
    <section class="card reading" aria-live="polite" data-testid="reading">
      {progress?.layers !== undefined && progress.layer !== undefined ? (
        <p>
          {t("progress.layer", { n: Math.min(progress.layer + 1, progress.layers), count: progress.layers })}
          {progress.source && <span class="muted"> — {t(PROGRESS_KEY[progress.source], { name: progress.savedFile ?? "" })}</span>}
        </p>
      ) : (
        <p class="muted">…</p>
      )}
      <progress max={progress?.total || 1} value={progress?.done ?? 0} />
      {progress && (
        <p class="stats muted">
          <span>{t("progress.bytes", { done: formatBytes(progress.done), total: formatBytes(progress.total) })}</span>
          <span>{t("progress.entries", { count: progress.entries })}</span>
        </p>
      )}
    </section>
  );
}

const PROGRESS_KEY = { cache: "progress.cache", network: "progress.network", saved: "progress.saved" } as const satisfies Record<LayerSourceKind, string>;
const LAYER_KEY = { cache: "layer.cache", network: "layer.network", saved: "layer.saved" } as const satisfies Record<LayerSourceKind, string>;

interface ImageCardProps {
  image: OpenedImage;
  /** How exports reach the disk, and whether the browser can do each (as the download form offers them). */
  via: "file" | "stream";
  canPick: boolean;
  canStream: boolean;
  onVia(via: "file" | "stream"): void;
  onExport(format: "zip" | "tar"): void;
  onUseSaved(waiting: SavedFileWaiting): void;
}

export function ImageCard({ image, via, canPick, canStream, onVia, onExport, onUseSaved }: ImageCardProps) {
  const { t } = useExploreText();
  return (
    <section
      class="card explore-image" aria-labelledby="explore-image-heading" data-testid="explore-image"
      data-fetched={image.fetchedLayers} data-cached={image.cachedLayers} data-saved={image.savedLayers}
    >
      <h2 id="explore-image-heading">{image.reference}</h2>
      <dl>
        <dt>{t("image.platform")}</dt>
        <dd>{formatPlatform(image.platform)}</dd>
        <dt>{t("image.digest")}</dt>
        <dd><code>{image.digest}</code></dd>
        <dt>{t("image.files")}</dt>
        <dd data-testid="entry-count">{image.entries}</dd>
        <dt>{t("image.size")}</dt>
        <dd>{formatBytes(image.fileBytes)}</dd>
      </dl>
      <details class="layers">
        <summary>{t("image.layers")} ({image.layers.length})</summary>
        <ol>
          {image.layers.map((l) => (
            <li key={l.digest} data-digest={l.digest} data-source={l.source} data-saved-file={l.savedFile}>
              <code class="layer-name">{l.digest.slice(0, 19)}</code> {formatBytes(l.size)}
              {l.source && <span class="muted"> · {t(LAYER_KEY[l.source], { name: l.savedFile ?? "" })}</span>}
            </li>
          ))}
        </ol>
      </details>
      {image.savedWaiting.map((w) => (
        <div key={w.id} class="note saved-waiting" data-testid="saved-waiting">
          <p>{t("saved.waiting", { name: w.fileName })}</p>
          <button type="button" class="secondary" onClick={() => onUseSaved(w)}>{t("saved.use", { name: w.fileName })}</button>
        </div>
      ))}
      <p class="note">{t("cache.note")}</p>
      <h3>{t("export.heading")}</h3>
      <p class="note">{t("export.note")}</p>
      <SaveVia
        name="export-via" via={via} canPick={canPick} canStream={canStream} onVia={onVia}
        words={{ legend: t("export.via"), file: t("export.file"), stream: t("export.stream"), streamOnly: t("export.streamOnly") }}
      />
      <div class="actions">
        <button type="button" class="primary" data-testid="export-zip" onClick={() => onExport("zip")}>{t("export.zip")}</button>
        <button type="button" data-testid="export-tar" onClick={() => onExport("tar")}>{t("export.tar")}</button>
      </div>
    </section>
  );
}

export function SaveRow({ save: s, onStop, onDismiss }: { save: SaveView; onStop(): void; onDismiss(): void }) {
  const { t } = useExploreText();
  const status = { running: t("save.running"), done: t("save.done"), failed: t("save.failed"), cancelled: t("save.cancelled") }[s.status];
  return (
    <li class={`save save-${s.status}`} data-status={s.status} data-file={s.fileName} data-fetched={s.result?.fetchedLayers}>
      <div class="save-head">
        <code>{s.label}</code>
        <span class="badge">{status}</span>
        {s.status === "running" ? (
          <button type="button" class="secondary" onClick={onStop}>{t("stop")}</button>
        ) : (
          <button type="button" class="secondary" onClick={onDismiss}>{t("save.dismiss")}</button>
        )}
      </div>
      {s.status === "running" && <progress max={s.total || 1} value={s.done} />}
      <p class="stats muted">
        <span>{s.fileName}</span>
        {s.status === "running" && <span>{formatBytes(s.done)} / {formatBytes(s.total)}</span>}
        {s.result && <span>{t("save.written", { bytes: formatBytes(s.result.bytes) })}</span>}
        {s.result && s.kind !== "file" && <span>{t("save.entries", { count: s.result.entries })}</span>}
        {s.result && <span>{s.result.fetchedLayers === 0 ? t("save.cached") : t("save.fetched", { count: s.result.fetchedLayers })}</span>}
      </p>
      {s.error && <ErrorMessage error={s.error} />}
    </li>
  );
}
