// The application: the download form (reference, platform, credentials), the summary
// before downloading, the running and finished downloads, unfinished ones to resume,
// and the history. State lives here; the components only render and report.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { formatPlatform } from "../../shared/platform.ts";
import { familiarRepository } from "../../shared/reference.ts";
import { deleteHistory, deleteJob, listHistory, listJobs, rememberedCredentials, type HistoryEntry, type UnfinishedJob } from "../lib/db.ts";
import { isDockerdlError } from "../../shared/errors.ts";
import { errorInfoOf, type ErrorInfo } from "../lib/errors.ts";
import type { ImageSummary, StartJob } from "../lib/protocol.ts";
import { CredentialsFields } from "./components/CredentialsFields.tsx";
import { ErrorMessage } from "./components/ErrorMessage.tsx";
import { HistoryList } from "./components/HistoryList.tsx";
import { JobCard } from "./components/JobCard.tsx";
import { SummaryCard } from "./components/SummaryCard.tsx";
import { UnfinishedList } from "./components/UnfinishedList.tsx";
import { UpdatePrompt } from "./components/UpdatePrompt.tsx";
import { canPickFile, canStream } from "./browser-download.ts";
import { controlFileDownload, controlStreamDownload, downloadWorker, startFileDownload, startStreamDownload } from "./engine-client.ts";
import { keepAwake } from "./sw-client.ts";
import { I18n } from "./i18n/context.ts";
import { LANGS, initialLang, saveLang, translator, type Lang } from "./i18n/index.ts";
import { useJobs, type JobView } from "./jobs.ts";
import { LazyView } from "./lazy-view.tsx";
import { routeHref, useRoute } from "./route.ts";
import { registerServiceWorker } from "./sw-registration.ts";
import { useImageLookup } from "./use-image-lookup.ts";

// Search, image pages and the file explorer load on demand, so the download form's
// initial JS stays small.
const loadDiscover = () => import("./discover/DiscoverView.tsx").then((m) => m.DiscoverView);
const loadImage = () => import("./discover/ImageView.tsx").then((m) => m.ImageView);
const loadExplore = () => import("./explore/ExploreView.tsx").then((m) => m.ExploreView);

export function App() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const t = useMemo(() => translator(lang), [lang]);
  const [waiting, setWaiting] = useState<ServiceWorker>();
  const [online, setOnline] = useState(navigator.onLine);

  const {
    reference, setReference, parsed, refError, name, registry, creds, setCreds, remembered, credsNotice, credentials, credentialsKey,
    rememberIfAsked, forget, lookup, platforms, platform, setPlatform, wantedPlatform,
  } = useImageLookup({ overview: downloadWorker.overview });
  const route = useRoute();
  // #/download?image=…&platform=… (from search, an image page or the explorer) prefills the form.
  useEffect(() => {
    if (route.view !== "download") return;
    const image = route.params.get("image");
    if (!image) return;
    wantedPlatform.current = route.params.get("platform") ?? undefined;
    setReference(image);
  }, [route]);
  const [summary, setSummary] = useState<ImageSummary>();
  const [summaryError, setSummaryError] = useState<ErrorInfo>();
  const [tags, setTags] = useState<string[]>([]);
  const [via, setVia] = useState<"file" | "stream">(canPickFile() ? "file" : "stream");
  const [pageError, setPageError] = useState<ErrorInfo>();
  const [jobs, addJob, updateJob, removeJob] = useJobs();
  const [unfinished, setUnfinished] = useState<UnfinishedJob[]>([]);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => saveLang(lang), [lang]);
  useEffect(() => registerServiceWorker(setWaiting), []);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    addEventListener("online", update);
    addEventListener("offline", update);
    return () => {
      removeEventListener("online", update);
      removeEventListener("offline", update);
    };
  }, []);

  // Stored downloads: refreshed whenever a job of this page changes status.
  const statuses = jobs.map((j) => `${j.id}:${j.status}`).join();
  useEffect(() => {
    const shown = new Set(jobs.map((j) => j.id));
    void listJobs().then((all) => setUnfinished(all.filter((j) => !shown.has(j.id)))).catch(() => {});
    void listHistory().then(setHistory).catch(() => {});
  }, [statuses]);

  // A new image or new credentials: the summary shown belongs to the old ones.
  useEffect(() => {
    setSummary(undefined);
    setSummaryError(undefined);
  }, [name, credentialsKey]);

  // Tag suggestions for the repository being typed.
  const repository = parsed.ref ? familiarRepository(parsed.ref) : "";
  useEffect(() => {
    setTags([]);
    if (!repository) return;
    let current = true;
    const timer = setTimeout(() => {
      downloadWorker.tags({ reference: `${repository}:latest`, credentials }).then((found) => current && setTags(found), () => {});
    }, 500);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [repository, credentialsKey]);

  // Size, layers and digest for the chosen platform.
  useEffect(() => {
    setSummary(undefined);
    setSummaryError(undefined);
    if (lookup.status !== "ok" || !platform) return;
    const chosen = lookup.platforms.find((p) => formatPlatform(p) === platform);
    let current = true;
    downloadWorker.resolve({ reference: name, platform: chosen, credentials }).then(
      (found) => current && setSummary(found),
      (error: unknown) => current && setSummaryError(errorInfoOf(error)),
    );
    return () => {
      current = false;
    };
  }, [lookup, platform]);

  // A streamed download lives in the service worker; messages keep it awake.
  const streaming = jobs.some((j) => j.via === "stream" && (j.status === "running" || j.status === "paused"));
  useEffect(() => {
    if (streaming) return keepAwake();
  }, [streaming]);

  const download = async () => {
    if (!summary) return;
    setPageError(undefined);
    rememberIfAsked();
    const job: StartJob = { id: crypto.randomUUID(), reference: summary.reference, platform: summary.platform, credentials, pinnedDigest: summary.topDigest };
    const view: JobView = {
      id: job.id, via, reference: summary.reference, status: "starting", summary, done: 0, total: summary.totalSize,
      layers: [], speed: 0, credentials,
    };
    if (via === "file" && canPickFile()) {
      let handle: FileSystemFileHandle;
      try {
        handle = await window.showSaveFilePicker!({
          suggestedName: summary.fileName,
          id: "dockerdl",
          types: [{ description: "Docker / OCI image archive", accept: { "application/x-tar": [".tar"] } }],
        });
      } catch (error) {
        if (error instanceof DOMException && error.name === "AbortError") setPageError({ code: "CANCELLED", message: t("error.pickerCancelled") });
        else setPageError(errorInfoOf(error));
        return;
      }
      addJob({ ...view, handle });
      startFileDownload(job, handle, false);
    } else {
      addJob({ ...view, via: "stream" });
      try {
        await startStreamDownload(job);
      } catch (error) {
        removeJob(job.id);
        setPageError(isDockerdlError(error, "NO_SERVICE_WORKER") ? { code: error.code, message: t("error.noServiceWorker") } : errorInfoOf(error));
      }
    }
  };

  const resumeJob = (job: JobView) => {
    if (job.via === "stream") return controlStreamDownload(job.id, "resume");
    if (!job.handle || !job.summary) return;
    updateJob(job.id, { status: "starting", error: undefined });
    startFileDownload({ id: job.id, reference: job.reference, platform: job.summary.platform, credentials: job.credentials, pinnedDigest: job.summary.topDigest }, job.handle, true);
  };

  const resumeStored = async (stored: UnfinishedJob) => {
    setPageError(undefined);
    const handle = stored.handle;
    let permission = (await handle.queryPermission?.({ mode: "readwrite" })) ?? "granted";
    if (permission !== "granted") permission = (await handle.requestPermission?.({ mode: "readwrite" })) ?? "denied";
    if (permission !== "granted") {
      setPageError({ code: "PERMISSION", message: t("error.permission") });
      return;
    }
    const saved = (await rememberedCredentials(stored.registry)) ?? (registry === stored.registry ? credentials : undefined);
    addJob({
      id: stored.id, via: "file", reference: stored.reference, status: "starting", done: stored.doneBytes, total: stored.totalSize,
      layers: [], speed: 0, handle, credentials: saved,
    });
    setUnfinished((list) => list.filter((j) => j.id !== stored.id));
    startFileDownload({ id: stored.id, reference: stored.reference, platform: stored.platform, credentials: saved, pinnedDigest: stored.pinnedDigest }, handle, true);
  };

  const discardStored = async (stored: UnfinishedJob) => {
    await deleteJob(stored.id);
    await (stored.handle as FileSystemFileHandle & { remove?: () => Promise<void> }).remove?.().catch(() => {});
    setUnfinished((list) => list.filter((j) => j.id !== stored.id));
  };

  const again = (entry: HistoryEntry) => {
    wantedPlatform.current = formatPlatform(entry.platform);
    setReference(entry.reference);
    setPlatform(formatPlatform(entry.platform));
    input.current?.focus();
    input.current?.scrollIntoView({ block: "center" });
  };

  return (
    <I18n.Provider value={{ lang, t }}>
      <a class="skip" href="#reference">{t("ref.label")}</a>
      <header class="top">
        <div class="brand">
          <img src="/icon-192.png" alt="" width={32} height={32} />
          <h1>dockerdl</h1>
        </div>
        <nav class="views" aria-label={t("nav.label")}>
          <a href={routeHref("download")} aria-current={route.view === "download" ? "page" : undefined}>{t("nav.download")}</a>
          <a href={routeHref("search")} aria-current={route.view === "search" || route.view === "image" ? "page" : undefined}>{t("nav.search")}</a>
          <a href={routeHref("explore")} aria-current={route.view === "explore" ? "page" : undefined}>{t("nav.explore")}</a>
        </nav>
        <label class="lang">
          <span class="visually-hidden">{t("lang.label")}</span>
          <select value={lang} onChange={(e) => setLang(e.currentTarget.value as Lang)} aria-label={t("lang.label")}>
            {LANGS.map((l) => (
              <option key={l.code} value={l.code} lang={l.code === "zh" ? "zh-CN" : "en"}>{l.name}</option>
            ))}
          </select>
        </label>
      </header>
      <UpdatePrompt waiting={waiting} />
      {route.view !== "download" && (
        <main>
          <LazyView
            key={route.view}
            load={route.view === "search" ? loadDiscover : route.view === "image" ? loadImage : loadExplore}
            props={{ params: route.params }}
            fallback={<p class="muted" role="status">{t("nav.loading")}</p>}
          />
        </main>
      )}
      <main hidden={route.view !== "download"}>
        <p class="tagline">{t("app.tagline")}</p>
        {!online && <p class="note offline" role="status">{t("offline")}</p>}
        <form class="card" onSubmit={(e) => e.preventDefault()} aria-label={t("ref.label")}>
          <label for="reference">{t("ref.label")}</label>
          <input
            id="reference" ref={input} name="reference" list="tag-suggestions" autocomplete="off" autocapitalize="off" spellcheck={false}
            placeholder="ubuntu:22.04" value={reference} onInput={(e) => setReference(e.currentTarget.value)}
            aria-invalid={refError ? true : undefined} aria-describedby={refError ? "reference-error" : "reference-help"}
          />
          <datalist id="tag-suggestions">
            {tags.slice(0, 50).map((tag) => <option key={tag} value={`${repository}:${tag}`} />)}
          </datalist>
          {refError ? (
            <p id="reference-error" class="field-error" role="alert">{t("ref.invalid")}: {refError.message}{refError.hint ? ` — ${refError.hint}` : ""}</p>
          ) : (
            <p id="reference-help" class="muted">{t("ref.help")}</p>
          )}
          <div aria-live="polite" class="lookup">
            {lookup.status === "loading" && <p class="muted">{t("ref.checking", { name: lookup.name })}</p>}
            {lookup.status === "error" && <ErrorMessage error={lookup.error} />}
          </div>
          {lookup.status === "ok" && lookup.kind === "index" && (
            <label class="platform">
              {t("platform.label")}
              <select name="platform" value={platform} onChange={(e) => setPlatform(e.currentTarget.value)}>
                {platforms.map((p) => <option key={formatPlatform(p)} value={formatPlatform(p)}>{formatPlatform(p)}</option>)}
              </select>
              <span class="muted">{t("platform.count", { count: platforms.length })}</span>
            </label>
          )}
          {lookup.status === "ok" && lookup.kind === "image" && platforms[0] && (
            <p class="platform-single" data-testid="single-platform">{t("platform.single", { platform: formatPlatform(platforms[0]) })}</p>
          )}
          <CredentialsFields value={creds} registry={registry} remembered={remembered} onChange={setCreds} onForget={() => void forget(t("creds.forgotten"))} notice={credsNotice} />
        </form>
        {summaryError && <div class="card"><ErrorMessage error={summaryError} /></div>}
        {summary && (
          <SummaryCard summary={summary} via={via} canPick={canPickFile()} canStream={canStream()} onVia={setVia} onDownload={download} busy={false} />
        )}
        {pageError && <div class="card"><ErrorMessage error={pageError} /></div>}
        {jobs.map((job) => (
          <JobCard
            key={job.id}
            job={job}
            onPause={() => (job.via === "file" ? controlFileDownload(job.id, "pause") : controlStreamDownload(job.id, "pause"))}
            onResume={() => resumeJob(job)}
            onCancel={() => (job.via === "file" ? controlFileDownload(job.id, "cancel") : controlStreamDownload(job.id, "cancel"))}
            onDismiss={() => removeJob(job.id)}
          />
        ))}
        <UnfinishedList jobs={unfinished} onResume={(j) => void resumeStored(j)} onDiscard={(j) => void discardStored(j)} />
        <HistoryList entries={history} onAgain={again} onRemove={(e) => void deleteHistory(e.id).then(() => setHistory((h) => h.filter((x) => x.id !== e.id)))} />
      </main>
    </I18n.Provider>
  );
}
