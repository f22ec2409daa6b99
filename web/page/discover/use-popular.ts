// The popular official images the search page shows while its box is empty: fetched the
// first time they are wanted and kept between visits of the view (they change hourly
// at most).
import { useEffect, useState } from "preact/hooks";
import { errorInfoOf, type ErrorInfo } from "../../lib/errors.ts";
import { isAbortError, popularImages, type SearchResult } from "./api.ts";

let popularCache: SearchResult[] | undefined;

export function usePopular(wanted: boolean) {
  const [popular, setPopular] = useState<SearchResult[] | undefined>(popularCache);
  const [error, setError] = useState<ErrorInfo>();
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!wanted || popular) return;
    const controller = new AbortController();
    setError(undefined);
    popularImages(controller.signal).then(
      (answer) => {
        popularCache = answer.repositories;
        setPopular(answer.repositories);
      },
      (e: unknown) => !isAbortError(e) && setError(errorInfoOf(e)),
    );
    return () => controller.abort();
  }, [wanted, attempt]);

  /** Asks again (after an error). */
  const retry = () => setAttempt((n) => n + 1);

  return { popular, error, retry };
}
