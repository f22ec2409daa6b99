// The explore view (#/explore?image=…&platform=…): pick an image and platform, read its
// layers into the merged filesystem (in the explore worker, with progress), browse and
// search it, download one file or folder, and export everything as a ZIP or a tar.
import { useEffect, useRef, useState } from "preact/hooks";
import { formatPlatform } from "../../../shared/platform.ts";
import { listSavedFiles, loadSavedFile } from "../../lib/db.ts";
import { errorInfoOf, type ErrorInfo } from "../../lib/errors.ts";
import type { ExploreProgress, NodeView, OpenedImage, SaveWhat, SavedFileWaiting } from "../../workers/explore/types.ts";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { canPickFile, canStream } from "../browser-download.ts";
import { ensurePermission } from "../file-permission.ts";
import { ImageReferenceFields } from "../image-form/ImageReferenceFields.tsx";
import { useImageLookup } from "../image-form/use-image-lookup.ts";
import { routeHref } from "../route.ts";
import { ImageCard, ReadingCard, SaveRow, type SaveView } from "./ExploreCards.tsx";
import { cancel, chooseVia, explorer, openImage, save } from "./explore-client.ts";
import { FileTree } from "./FileTree.tsx";
import { useExploreText } from "./i18n.ts";
import { baseName } from "./mode.ts";

type Opening =
  | { status: "idle" }
  | { status: "loading"; id: string; progress?: ExploreProgress }
  | { status: "ok"; image: OpenedImage }
  | { status: "error"; error: ErrorInfo };

// The worker keeps the opened image; this keeps the view's side of it while the person
// visits another view.
let kept: { reference: string; platform: string; image: OpenedImage } | undefined;

export function ExploreView({ params }: { params: URLSearchParams }) {
  const { t } = useExploreText();
  const asked = params.get("image") ?? "";
  const restore = kept && (asked === "" || asked === kept.reference) ? kept : undefined;
  const form = useImageLookup({ initialReference: restore?.reference ?? asked, initialPlatform: restore?.platform, wantedPlatform: params.get("platform") ?? undefined, overview: explorer.overview });
  const { reference, parsed, name, credentials, lookup, platforms, platform, platformError } = form;
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

  const [exportVia, setExportVia] = useState<"file" | "stream">(canPickFile() ? "file" : "stream");

  const runSave = async (what: SaveWhat, fileName: string, size: number, label: string, toDisk: boolean) => {
    const id = crypto.randomUUID();
    setPageError(undefined);
    const via = chooseVia(size, toDisk, exportVia);
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

  // Another platform in the address (only platform= changed) selects it, as in the download form.
  const linkedPlatform = params.get("platform") ?? undefined;
  const firstLink = useRef(true);
  useEffect(() => {
    if (firstLink.current) firstLink.current = false;
    else if (asked !== "" && linkedPlatform) {
      form.askPlatform(asked, linkedPlatform);
      form.setReference(asked);
    }
  }, [asked, linkedPlatform]);

  // A link that names the image and its platform (an image page's "Explore files") says
  // what to browse: start once the lookup has chosen it, as a press of Browse would.
  const autoStart = useRef(!restore && asked !== "" && params.has("platform"));
  useEffect(() => {
    if (!autoStart.current || lookup.status === "idle" || lookup.status === "loading") return;
    autoStart.current = false;
    if (lookup.status === "ok" && platform !== "" && !platformError) void browse();
  }, [lookup, platform, platformError]);

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
    const permission = record ? await ensurePermission(record.handle, "read") : "denied";
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
        <ImageReferenceFields form={form} idPrefix="explore-" placeholder="alpine:3.20" help={t("ref.help")} />
        <div class="actions">
          <button type="submit" class="primary" data-testid="browse" disabled={lookup.status !== "ok" || platform === "" || loading}>{t("open")}</button>
          {loading && <button type="button" class="secondary" onClick={stopBrowsing}>{t("stop")}</button>}
        </div>
      </form>
      {opening.status === "loading" && <ReadingCard progress={opening.progress} />}
      {opening.status === "error" && <div class="card"><ErrorMessage error={opening.error} /></div>}
      {pageError && <div class="card"><ErrorMessage error={pageError} /></div>}
      {image && (
        <ImageCard
          image={image} via={exportVia} canPick={canPickFile()} canStream={canStream()} onVia={setExportVia}
          onExport={exportAll} onUseSaved={(w) => void useSaved(w)}
        />
      )}
      {saves.length > 0 && (
        <section class="card saves" aria-labelledby="saves-heading">
          <h2 id="saves-heading">{t("save.heading")}</h2>
          <ul class="list">
            {saves.map((s) => (
              <SaveRow key={s.id} save={s} onStop={() => cancel(s.id)} onDismiss={() => setSaves((list) => list.filter((x) => x.id !== s.id))} />
            ))}
          </ul>
        </section>
      )}
      {image && <FileTree image={image} onSave={saveNode} />}
    </div>
  );
}

/** Asks to read the newest saved file of this image and platform again, if the browser needs asking. */
async function askToReadSaved(reference: string, platform: string): Promise<void> {
  const saved = (await listSavedFiles().catch(() => []))
    .filter((f) => f.reference === reference && formatPlatform(f.platform) === platform && f.verified.length > 0)
    .sort((a, b) => b.updatedAt - a.updatedAt)[0];
  // Without a saved file to read, the layers come from the cache or the network.
  if (saved) await ensurePermission(saved.handle, "read");
}
