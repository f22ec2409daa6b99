// Hash routes of the app, so views can be linked, bookmarked and reached with the back
// button without a server round trip (the app shell is one cached page):
//   #/                                  download form
//   #/download?image=…&platform=…       download form, prefilled
//   #/search?q=…                        Docker Hub search and popular images
//   #/image?image=…                     an image's page: description, tags, platforms
//   #/explore?image=…&platform=…        browse an image's files, export them
import { useEffect, useState } from "preact/hooks";

export type View = "download" | "search" | "image" | "explore";

export interface Route {
  view: View;
  params: URLSearchParams;
}

const VIEWS: readonly View[] = ["download", "search", "image", "explore"];

function parseRoute(hash: string): Route {
  const body = hash.replace(/^#\/?/, "");
  const q = body.indexOf("?");
  const path = q < 0 ? body : body.slice(0, q);
  const params = new URLSearchParams(q < 0 ? "" : body.slice(q + 1));
  const view = (VIEWS as readonly string[]).includes(path) ? (path as View) : "download";
  return { view, params };
}

export function routeHref(view: View, params: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) search.set(k, v);
  const query = search.toString();
  return `#/${view === "download" ? (query ? "download" : "") : view}${query ? `?${query}` : ""}`;
}

export function navigate(view: View, params: Record<string, string | undefined> = {}): void {
  location.hash = routeHref(view, params);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return route;
}
