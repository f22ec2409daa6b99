// URL safety for the Markdown renderer: the one gate every link passes (inline links,
// autolinks, bare URLs, link definitions, pictures turned into links). Only absolute
// http(s) URLs without credentials get through, normalised by the URL parser.

/** An absolute http(s) URL, normalised; null for anything else (javascript:, data:, relative…). */
export function safeUrl(raw: string): string | null {
  const text = raw.trim().replace(/^<|>$/g, "");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.username || url.password) return null;
  return url.href;
}
