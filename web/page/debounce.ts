// Work that typing makes stale: it starts once `ms` pass without another keystroke,
// and `live()` tells its answer whether it is still wanted. Made for useEffect, whose
// clean-up (what this returns) runs when the input changes again.
export function debounced(ms: number, work: (live: () => boolean) => void): () => void {
  let live = true;
  const timer = setTimeout(() => work(() => live), ms);
  return () => {
    live = false;
    clearTimeout(timer);
  };
}
