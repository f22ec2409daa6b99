// #/search?q=…: Docker Hub search as you type (debounced, stale requests cancelled, the
// query kept in the URL so back and forward work), with the popular official images
// in front while the box is empty.
import { useEffect, useRef, useState } from "preact/hooks";
import { errorInfoOf, type ErrorInfo } from "../../lib/errors.ts";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { useI18n } from "../i18n/context.ts";
import { routeHref } from "../route.ts";
import { LAST_SEARCH_KEY, isAbortError, popularImages, searchImages, type SearchResult } from "./api.ts";
import { discoverText } from "./i18n.ts";
import { ResultList } from "./ResultList.tsx";

const DEBOUNCE_MS = 250;

interface Results {
  query: string;
  results: SearchResult[];
  total: number;
  page: number;
  hasMore: boolean;
}

// Kept between visits of the view: popular images change hourly at most.
let popularCache: SearchResult[] | undefined;

/** The query goes into the URL without a hashchange (which would re-route the app). The
 * first query after an empty box gets its own history entry, so Back returns to the
 * popular images; refinements replace it, so Back does not step through keystrokes. */
function syncUrl(query: string): void {
  const href = routeHref("search", query ? { q: query } : {});
  // The image page's "Back to search" returns to this query.
  sessionStorage.setItem(LAST_SEARCH_KEY, query);
  if (location.hash === href) return;
  const hadQuery = new URLSearchParams(location.hash.split("?")[1] ?? "").has("q");
  if (query && !hadQuery) history.pushState(null, "", href);
  else history.replaceState(null, "", href);
}

export function DiscoverView({ params }: { params: URLSearchParams }) {
  const { lang } = useI18n();
  const text = discoverText(lang);
  const { t } = text;
  const [query, setQuery] = useState(() => params.get("q") ?? "");
  const [results, setResults] = useState<Results>();
  const [loading, setLoading] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ErrorInfo>();
  const [attempt, setAttempt] = useState(0);
  const [popular, setPopular] = useState<SearchResult[] | undefined>(popularCache);
  const [popularError, setPopularError] = useState<ErrorInfo>();
  // A query from the URL (first render, back/forward) is searched at once, not debounced.
  const immediate = useRef(true);
  const more = useRef<AbortController>(undefined);
  const input = useRef<HTMLInputElement>(null);

  // Back and forward change the URL's query: it wins over what was typed.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    immediate.current = true;
    setQuery(params.get("q") ?? "");
  }, [params]);

  useEffect(() => {
    if (!(params.get("q") ?? "")) input.current?.focus();
  }, []);

  const trimmed = query.trim();
  useEffect(() => {
    const delay = immediate.current ? 0 : DEBOUNCE_MS;
    immediate.current = false;
    more.current?.abort();
    setLoadingMore(false);
    setError(undefined);
    if (!trimmed) {
      setResults(undefined);
      setLoading(false);
      syncUrl("");
      return;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      syncUrl(trimmed);
      setLoading(true);
      searchImages(trimmed, 1, controller.signal).then(
        (answer) => {
          setResults({ query: trimmed, results: answer.results, total: answer.total, page: 1, hasMore: answer.hasMore });
          setLoading(false);
        },
        (e: unknown) => {
          if (isAbortError(e)) return;
          setError(errorInfoOf(e));
          setResults(undefined);
          setLoading(false);
        },
      );
    }, delay);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [trimmed, attempt]);

  useEffect(() => {
    if (trimmed || popular) return;
    const controller = new AbortController();
    setPopularError(undefined);
    popularImages(controller.signal).then(
      (answer) => {
        popularCache = answer.repositories;
        setPopular(answer.repositories);
      },
      (e: unknown) => !isAbortError(e) && setPopularError(errorInfoOf(e)),
    );
    return () => controller.abort();
  }, [trimmed === "", attempt]);

  const loadMore = () => {
    if (!results || loadingMore) return;
    const controller = new AbortController();
    more.current = controller;
    setLoadingMore(true);
    setError(undefined);
    const page = results.page + 1;
    searchImages(results.query, page, controller.signal).then(
      (answer) => {
        setResults((now) => {
          if (!now || now.query !== results.query) return now;
          const seen = new Set(now.results.map((r) => r.repository));
          return { ...now, results: [...now.results, ...answer.results.filter((r) => !seen.has(r.repository))], page, total: answer.total, hasMore: answer.hasMore };
        });
        setLoadingMore(false);
      },
      (e: unknown) => {
        if (isAbortError(e)) return;
        setError(errorInfoOf(e));
        setLoadingMore(false);
      },
    );
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
        immediate.current = true;
        setAttempt((n) => n + 1);
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
          <button type="button" onClick={() => {
            immediate.current = true;
            setAttempt((n) => n + 1);
          }}>{t("action.retry")}</button>
        </div>
      )}
      {trimmed && results && results.results.length > 0 && (
        <div class={`card${loading ? " stale" : ""}`}>
          <h3 id="results-title" class="visually-hidden">{t("search.title")}</h3>
          <ResultList results={results.results} text={text} labelledBy="results-title" />
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
            <ResultList results={popular} text={text} labelledBy="popular-title" />
          ) : popularError ? (
            <>
              <ErrorMessage error={popularError} />
              <button type="button" onClick={() => setAttempt((n) => n + 1)}>{t("action.retry")}</button>
            </>
          ) : (
            <p class="muted">{t("popular.loading")}</p>
          )}
        </div>
      )}
    </section>
  );
}
