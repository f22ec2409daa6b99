// Work that typing makes stale: it starts once `ms` pass without another keystroke,
// and `live()` tells its answer whether it is still wanted; `signal` aborts what it
// started (a fetch) as soon as it is not. Made for useEffect, whose clean-up (what this
// returns) runs when the input changes again.
export function debounced(ms: number, work: (live: () => boolean, signal: AbortSignal) => void): () => void {
  const controller = new AbortController();
  const timer = setTimeout(() => work(() => !controller.signal.aborted, controller.signal), ms);
  return () => {
    controller.abort();
    clearTimeout(timer);
  };
}
