// The extra sources a download may fetch layers from (issue #29), as the person
// lists them in settings: checked here, kept in localStorage (a short list of URLs, read
// when a download starts, like the language choice).

import type { MessageKey } from "../../i18n/en.ts";

const STORAGE_KEY = "dockerdl.sources";

export type SourceCheck = { ok: true; url: string } | { ok: false; key: MessageKey; params?: Record<string, string> };

/**
 * A source's URL as the download uses it (no trailing slash), or why it is refused:
 * https only (plain http only for this machine: localhost, 127.0.0.1; the app's CSP names
 * just these two, as CSP cannot name an IPv6 address), no query or
 * fragment, not this app's own origin (always a source) and not listed twice.
 */
export function checkSourceUrl(text: string, listed: readonly string[], ownOrigin: string): SourceCheck {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return { ok: false, key: "sources.invalid", params: { url: text.trim() } };
  }
  const local = ["localhost", "127.0.0.1"].includes(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && local)) return { ok: false, key: "sources.notHttps", params: { url: url.href } };
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    // The refusal is shown on screen: a password typed into the URL is not repeated there.
    if (url.password !== "") url.password = "***";
    return { ok: false, key: "sources.extra", params: { url: url.href } };
  }
  const clean = url.href.replace(/\/+$/, "");
  if (url.origin === ownOrigin && url.pathname === "/") return { ok: false, key: "sources.isOwn", params: { url: clean } };
  if (listed.includes(clean)) return { ok: false, key: "sources.duplicate", params: { url: clean } };
  return { ok: true, url: clean };
}

export function loadSources(): string[] {
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "[]");
    return Array.isArray(saved) ? saved.filter((s): s is string => typeof s === "string") : [];
  } catch {
    return [];
  }
}

export function saveSources(sources: readonly string[]): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(sources));
}
