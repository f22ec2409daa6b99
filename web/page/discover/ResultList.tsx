// A list of repositories (search results or popular images): each one a link to its
// image page, with badges, stars and pulls, and a direct link to the download form.
import { routeHref } from "../route.ts";
import type { SearchResult } from "./api.ts";
import { useDiscoverText } from "./i18n.ts";

export function ResultList({ results, labelledBy }: { results: SearchResult[]; labelledBy: string }) {
  const text = useDiscoverText();
  const { t } = text;
  return (
    <ul class="results" aria-labelledby={labelledBy}>
      {results.map((r) => (
        <li key={r.repository} class="result" data-repository={r.repository}>
          <a class="result-link" href={routeHref("image", { image: r.name })}>
            <span class="result-name">{r.name}</span>
            {r.official && <span class="pill pill-official">{t("badge.official")}</span>}
            {r.verified === true && <span class="pill pill-verified">{t("badge.verified")}</span>}
          </a>
          {r.description && <p class="result-desc">{r.description}</p>}
          <p class="result-stats">
            <span title={t("stat.stars", { count: text.exact(r.stars) })}>
              <span aria-hidden="true">★ </span>{t("stat.stars", { count: text.count(r.stars) })}
            </span>
            <span title={t("stat.pulls", { count: text.exact(r.pulls) })}>
              <span aria-hidden="true">⤓ </span>{t("stat.pulls", { count: text.count(r.pulls) })}
            </span>
            {r.lastUpdated && <span>{t("stat.updated", { date: text.date(r.lastUpdated) })}</span>}
            <a class="result-download" href={routeHref("download", { image: r.name })} aria-label={t("action.downloadImage", { image: r.name })}>
              {t("action.download")}
            </a>
          </p>
        </li>
      ))}
    </ul>
  );
}
