// The search page's state: the query (from the URL, and kept in it so back and forward
// work), Docker Hub's answer once typing pauses (a stale request cancelled), and "Show
// more" appending the next page.
import { useEffect, useRef, useState } from "preact/hooks";
import { errorInfoOf, type ErrorInfo } from "../../lib/errors.ts";
import { debounced } from "../debounce.ts";
import { routeHref } from "../route.ts";
import { LAST_SEARCH_KEY, isAbortError, searchImages, type SearchAnswer, type SearchResult } from "./api.ts";

const DEBOUNCE_MS = 250;

export interface Results {
  query: string;
  results: SearchResult[];
  total: number;
  page: number;
  hasMore: boolean;
}

/** `now` with page `page` of `query` appended: repositories already listed are not
 * repeated (the Hub's pages shift while it is read), and a page of an older query is dropped. */
export function appendPage(now: Results | undefined, query: string, page: number, answer: SearchAnswer): Results | undefined {
  if (!now || now.query !== query) return now;
  const seen = new Set(now.results.map((r) => r.repository));
  return { ...now, results: [...now.results, ...answer.results.filter((r) => !seen.has(r.repository))], page, total: answer.total, hasMore: answer.hasMore };
}

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

export function useSearch(params: URLSearchParams) {
  const [query, setQuery] = useState(() => params.get("q") ?? "");
  const [results, setResults] = useState<Results>();
  const [loading, setLoading] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ErrorInfo>();
  const [attempt, setAttempt] = useState(0);
  // A query from the URL (first render, back/forward) or a retry is searched at once, not debounced.
  const immediate = useRef(true);
  const more = useRef<AbortController>(undefined);

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
    return debounced(delay, (live, signal) => {
      syncUrl(trimmed);
      setLoading(true);
      searchImages(trimmed, 1, signal).then(
        (answer) => {
          if (!live()) return;
          setResults({ query: trimmed, results: answer.results, total: answer.total, page: 1, hasMore: answer.hasMore });
          setLoading(false);
        },
        (e: unknown) => {
          if (!live() || isAbortError(e)) return;
          setError(errorInfoOf(e));
          setResults(undefined);
          setLoading(false);
        },
      );
    });
  }, [trimmed, attempt]);

  const loadMore = () => {
    if (!results || loadingMore) return;
    const controller = new AbortController();
    more.current = controller;
    setLoadingMore(true);
    setError(undefined);
    const page = results.page + 1;
    searchImages(results.query, page, controller.signal).then(
      (answer) => {
        setResults((now) => appendPage(now, results.query, page, answer));
        setLoadingMore(false);
      },
      (e: unknown) => {
        if (isAbortError(e)) return;
        setError(errorInfoOf(e));
        setLoadingMore(false);
      },
    );
  };

  /** Searches the query again at once (the form's submit, "Try again"). */
  const retry = () => {
    immediate.current = true;
    setAttempt((n) => n + 1);
  };

  return { query, setQuery, trimmed, results, loading, loadingMore, error, loadMore, retry };
}
