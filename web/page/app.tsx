// The application's frame: the header (views, language), the update prompt, and the
// view the route names. The download form is always mounted (DownloadView); search,
// image pages and the file explorer load on demand, so the form's initial JS stays small.
import { useEffect, useState } from "preact/hooks";
import { UpdatePrompt } from "./components/UpdatePrompt.tsx";
import { DownloadView } from "./download/DownloadView.tsx";
import { I18n } from "./i18n/context.ts";
import { LANGS, applyLang, initialLang, saveLang, translator, type Lang } from "./i18n/index.ts";
import { LazyView } from "./lazy-view.tsx";
import { routeHref, useRoute } from "./route.ts";
import { registerServiceWorker } from "./sw-registration.ts";

const loadDiscover = () => import("./discover/DiscoverView.tsx").then((m) => m.DiscoverView);
const loadImage = () => import("./discover/ImageView.tsx").then((m) => m.ImageView);
const loadExplore = () => import("./explore/ExploreView.tsx").then((m) => m.ExploreView);

export function App() {
  const [lang, setLang] = useState<Lang>(initialLang);
  const t = translator(lang);
  const [waiting, setWaiting] = useState<ServiceWorker>();
  const route = useRoute();
  const pickLang = (chosen: Lang) => {
    saveLang(chosen);
    setLang(chosen);
  };

  useEffect(() => applyLang(lang), [lang]);
  useEffect(() => registerServiceWorker(setWaiting), []);

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
          <select value={lang} onChange={(e) => pickLang(e.currentTarget.value as Lang)} aria-label={t("lang.label")}>
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
      <DownloadView route={route} />
    </I18n.Provider>
  );
}
