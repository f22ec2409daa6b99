// The explore view (#/explore?image=…&platform=…): pick an image and platform, read its
// layers into the merged filesystem (in the explore worker, with progress), browse and
// search it, download one file or folder, and export everything as a ZIP or a tar.
import { useState } from "preact/hooks";
import { formatPlatform } from "../../../shared/platform.ts";
import type { ExploreProgress, LayerSourceKind, NodeView, OpenedImage, SaveResult, SaveWhat, SavedFileWaiting } from "../../workers/explore/types.ts";
import { listSavedFiles, loadSavedFile } from "../../lib/db.ts";
import { errorInfoOf, type ErrorInfo } from "../../lib/errors.ts";
import { CredentialsFields } from "../components/CredentialsFields.tsx";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { formatBytes } from "../i18n/index.ts";
import { routeHref } from "../route.ts";
import { useImageLookup } from "../use-image-lookup.ts";
import { cancel, chooseVia, explorer, openImage, save } from "./explore-client.ts";
import { FileTree } from "./FileTree.tsx";
import { useExploreT, type ExploreTranslate } from "./i18n.ts";
import { baseName } from "./mode.ts";

type Opening =
  | { status: "idle" }
  | { status: "loading"; id: string; progress?: ExploreProgress }
  | { status: "ok"; image: OpenedImage }
  | { status: "error"; error: ErrorInfo };

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

// The worker keeps the opened image; this keeps the view's side of it while the person
// visits another view.
let kept: { reference: string; platform: string; image: OpenedImage } | undefined;

export function ExploreView({ params }: { params: URLSearchParams }) {
  const t = useExploreT();
  const asked = params.get("image") ?? "";
  const restore = kept && (asked === "" || asked === kept.reference) ? kept : undefined;
  const {
    reference, setReference, parsed, refError, name, registry, creds, setCreds, remembered, credsNotice, credentials,
    forget, lookup, platforms, platform, setPlatform,
  } = useImageLookup({ initialReference: restore?.reference ?? asked, initialPlatform: restore?.platform, wantedPlatform: params.get("platform") ?? undefined, overview: explorer.overview });
  const [opening, setOpening] = useState<Opening>(restore ? { status: "ok", image: restore.image } : { status: "idle" });
  const [saves, setSaves] = useState<SaveView[]>([]);
  const [pageError, setPageError] = useState<ErrorInfo>();

  const chosen = platforms.find((p) => formatPlatform(p) === platform);

  const browse = async () => {
    if (!parsed.ref || lookup.status !== "ok") return;
    // Pressing Browse is a gesture: the one moment to ask to read this image's saved file again.
    await askToReadSaved(name, platform);
    const id = crypto.randomUUID();
    setOpening({ status: "loading", id });
    setPageError(undefined);
    history.replaceState(null, "", routeHref("explore", { image: reference.trim(), platform: lookup.kind === "index" ? platform : undefined }));
    try {
      const image = await openImage(id, { reference: name, platform: lookup.kind === "index" ? chosen : undefined, credentials }, (progress) =>
        setOpening((now) => (now.status === "loading" && now.id === id ? { status: "loading", id, progress } : now)),
      );
      kept = { reference: reference.trim(), platform, image };
      setOpening((now) => (now.status === "loading" && now.id === id ? { status: "ok", image } : now));
    } catch (error) {
      const info = errorInfoOf(error);
      setOpening((now) => (now.status === "loading" && now.id === id ? (info.code === "CANCELLED" ? { status: "idle" } : { status: "error", error: info }) : now));
    }
  };

  const stopBrowsing = () => {
    if (opening.status === "loading") cancel(opening.id);
  };

  const updateSave = (id: string, patch: Partial<SaveView>) => setSaves((list) => list.map((s) => (s.id === id ? { ...s, ...patch } : s)));

  const runSave = async (what: SaveWhat, fileName: string, size: number, label: string, toDisk: boolean) => {
    const id = crypto.randomUUID();
    setPageError(undefined);
    const via = chooseVia(size, toDisk);
    setSaves((list) => [{ id, kind: what.kind, label, fileName, status: "running", done: 0, total: size }, ...list]);
    try {
      const result = await save(id, what, fileName, via, (p) => updateSave(id, { done: p.done, total: p.total }));
      updateSave(id, { status: "done", done: result.bytes, result });
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError" && via === "file") {
        setSaves((list) => list.filter((s) => s.id !== id));
        setPageError({ code: "CANCELLED", message: t("error.pickerCancelled") });
        return;
      }
      const info = errorInfoOf(error);
      if (info.code === "NO_SERVICE_WORKER") info.message = t("error.noServiceWorker");
      updateSave(id, info.code === "CANCELLED" ? { status: "cancelled" } : { status: "failed", error: info });
    }
  };

  const image = opening.status === "ok" ? opening.image : undefined;
  const saveNode = (node: NodeView) => {
    if (node.type === "directory") void runSave({ kind: "zip", path: node.path }, `${baseName(node.path)}.zip`, node.size, `/${node.path}/`, false);
    else void runSave({ kind: "file", path: node.path }, baseName(node.path), node.size, `/${node.path}`, false);
  };
  const exportAll = (format: "zip" | "tar") => {
    if (!image) return;
    void runSave({ kind: format, path: "" }, `${image.baseName}-rootfs.${format}`, image.fileBytes, `${image.reference} (${format.toUpperCase()})`, true);
  };

  // A saved file the worker could not read without the person's permission.
  const useSaved = async (waiting: SavedFileWaiting) => {
    setPageError(undefined);
    const record = await loadSavedFile(waiting.id).catch(() => undefined);
    const permission = record ? await askPermission(record.handle) : "denied";
    if (permission === "granted") void browse();
    else setPageError({ code: "PERMISSION", message: t("saved.denied", { name: waiting.fileName }) });
  };

  const loading = opening.status === "loading";
  return (
    <div class="explore">
      <h2 class="view-title">{t("title")}</h2>
      <p class="tagline">{t("intro")}</p>
      <form class="card" aria-label={t("title")} onSubmit={(e) => {
        e.preventDefault();
        void browse();
      }}>
        <label for="explore-reference">{t("ref.label")}</label>
        <input
          id="explore-reference" name="explore-reference" autocomplete="off" autocapitalize="off" spellcheck={false} placeholder="alpine:3.20"
          value={reference} onInput={(e) => setReference(e.currentTarget.value)}
          aria-invalid={refError ? true : undefined} aria-describedby={refError ? "explore-reference-error" : "explore-reference-help"}
        />
        {refError ? (
          <p id="explore-reference-error" class="field-error" role="alert">{t("ref.invalid")}: {refError.message}</p>
        ) : (
          <p id="explore-reference-help" class="muted">{t("ref.help")}</p>
        )}
        <div aria-live="polite" class="lookup">
          {lookup.status === "loading" && <p class="muted">{t("ref.checking", { name: lookup.name })}</p>}
          {lookup.status === "error" && <ErrorMessage error={lookup.error} />}
        </div>
        {lookup.status === "ok" && lookup.kind === "index" && (
          <label class="platform">
            {t("platform.label")}
            <select name="explore-platform" value={platform} onChange={(e) => setPlatform(e.currentTarget.value)}>
              {platforms.map((p) => <option key={formatPlatform(p)} value={formatPlatform(p)}>{formatPlatform(p)}</option>)}
            </select>
          </label>
        )}
        {lookup.status === "ok" && lookup.kind === "image" && platforms[0] && (
          <p class="platform-single" data-testid="explore-single-platform">{t("platform.single", { platform: formatPlatform(platforms[0]) })}</p>
        )}
        <CredentialsFields value={creds} registry={registry} remembered={remembered} onChange={setCreds} onForget={() => void forget()} notice={credsNotice} />
        <div class="actions">
          <button type="submit" class="primary" data-testid="browse" disabled={lookup.status !== "ok" || loading}>{t("open")}</button>
          {loading && <button type="button" class="secondary" onClick={stopBrowsing}>{t("stop")}</button>}
        </div>
      </form>
      {opening.status === "loading" && <ReadingCard progress={opening.progress} t={t} />}
      {opening.status === "error" && <div class="card"><ErrorMessage error={opening.error} /></div>}
      {pageError && <div class="card"><ErrorMessage error={pageError} /></div>}
      {image && <ImageCard image={image} onExport={exportAll} onUseSaved={(w) => void useSaved(w)} t={t} />}
      {saves.length > 0 && (
        <section class="card saves" aria-labelledby="saves-heading">
          <h2 id="saves-heading">{t("save.heading")}</h2>
          <ul class="list">
            {saves.map((s) => (
              <SaveRow key={s.id} save={s} t={t} onStop={() => cancel(s.id)} onDismiss={() => setSaves((list) => list.filter((x) => x.id !== s.id))} />
            ))}
          </ul>
        </section>
      )}
      {image && <FileTree image={image} onSave={saveNode} />}
    </div>
  );
}

function ReadingCard({ progress, t }: { progress?: ExploreProgress; t: ExploreTranslate }) {
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

type PermissionHandle = FileSystemFileHandle & {
  queryPermission?(descriptor: { mode: "read" }): Promise<PermissionState>;
  requestPermission?(descriptor: { mode: "read" }): Promise<PermissionState>;
};

async function askPermission(handle: FileSystemFileHandle): Promise<PermissionState> {
  const h = handle as PermissionHandle;
  try {
    const now = (await h.queryPermission?.({ mode: "read" })) ?? "granted";
    return now === "prompt" ? ((await h.requestPermission?.({ mode: "read" })) ?? "denied") : now;
  } catch {
    return "denied";
  }
}

/** Asks to read the newest saved file of this image and platform again, if the browser needs asking. */
async function askToReadSaved(reference: string, platform: string): Promise<void> {
  try {
    const saved = (await listSavedFiles())
      .filter((f) => f.reference === reference && formatPlatform(f.platform) === platform && f.verified.length > 0)
      .sort((a, b) => b.updatedAt - a.updatedAt)[0];
    const handle = saved?.handle as PermissionHandle | undefined;
    if (handle && (await handle.queryPermission?.({ mode: "read" })) === "prompt") await handle.requestPermission?.({ mode: "read" });
  } catch {
    // no saved file to read: the layers come from the cache or the network
  }
}

function ImageCard({ image, onExport, onUseSaved, t }: { image: OpenedImage; onExport(format: "zip" | "tar"): void; onUseSaved(waiting: SavedFileWaiting): void; t: ExploreTranslate }) {
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
      <div class="actions">
        <button type="button" class="primary" data-testid="export-zip" onClick={() => onExport("zip")}>{t("export.zip")}</button>
        <button type="button" data-testid="export-tar" onClick={() => onExport("tar")}>{t("export.tar")}</button>
      </div>
    </section>
  );
}

function SaveRow({ save: s, t, onStop, onDismiss }: { save: SaveView; t: ExploreTranslate; onStop(): void; onDismiss(): void }) {
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
