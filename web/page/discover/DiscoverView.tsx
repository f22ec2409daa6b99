// #/search?q=…: Docker Hub search as you type (debounced, stale requests cancelled, the
// query kept in the URL so back and forward work), with the popular official images
// in front while the box is empty. The state is use-search.ts's and use-popular.ts's.
import { useEffect, useRef } from "preact/hooks";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { useDiscoverText } from "./i18n.ts";
import { ResultList } from "./ResultList.tsx";
import { usePopular } from "./use-popular.ts";
import { useSearch } from "./use-search.ts";

export function DiscoverView({ params }: { params: URLSearchParams }) {
  const text = useDiscoverText();
  const { t } = text;
  const { query, setQuery, trimmed, results, loading, loadingMore, error, loadMore, retry } = useSearch(params);
  const { popular, error: popularError, retry: retryPopular } = usePopular(trimmed === "");
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!(params.get("q") ?? "")) input.current?.focus();
  }, []);

  // Every retry (the form's submit, either "Try again") goes to both hooks: the search runs
  // the query again if there is one, the popular images are fetched if the box is empty
  // and they are missing, so an empty box's submit retries them too.
  const again = () => {
    retry();
    retryPopular();
  };

  const status = loading
    ? t("search.searching", { query: trimmed })
    : results
      ? results.results.length === 0
        ? t("search.none", { query: results.query })
        : t("search.count", { shown: text.exact(results.results.length), total: text.exact(results.total), query: results.query })
      : !trimmed && popular
        ? t("popular.count", { count: popular.length })
        : "";

  return (
    <section class="discover" aria-labelledby="discover-title">
      <h2 id="discover-title">{t("search.title")}</h2>
      <form class="card search-form" role="search" onSubmit={(e) => {
        e.preventDefault();
        again();
      }}>
        <label for="discover-query">{t("search.label")}</label>
        <input
          id="discover-query" ref={input} type="search" name="q" value={query} autocomplete="off" autocapitalize="off" spellcheck={false}
          placeholder={t("search.placeholder")} enterkeyhint="search" aria-describedby="discover-status"
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
      </form>
      <p id="discover-status" class="muted search-status" role="status" aria-live="polite" aria-atomic="true">{status}</p>
      {error && (
        <div class="card">
          <ErrorMessage error={error} />
          <button type="button" onClick={again}>{t("action.retry")}</button>
        </div>
      )}
      {trimmed && results && results.results.length > 0 && (
        <div class={`card${loading ? " stale" : ""}`}>
          <h3 id="results-title" class="visually-hidden">{t("search.title")}</h3>
          <ResultList results={results.results} labelledBy="results-title" />
          {results.hasMore && (
            <div class="actions">
              <button type="button" class="more" onClick={loadMore} disabled={loadingMore}>
                {loadingMore ? t("search.loadingMore") : t("search.more")}
              </button>
            </div>
          )}
        </div>
      )}
      {!trimmed && (
        <div class="card popular">
          <h3 id="popular-title">{t("popular.title")}</h3>
          {popular ? (
            <ResultList results={popular} labelledBy="popular-title" />
          ) : popularError ? (
            <>
              <ErrorMessage error={popularError} />
              <button type="button" onClick={again}>{t("action.retry")}</button>
            </>
          ) : (
            <p class="muted">{t("popular.loading")}</p>
          )}
        </div>
      )}
    </section>
  );
}
