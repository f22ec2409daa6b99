// Picks English or Simplified Chinese from the browser's language (or the person's
// choice, kept in localStorage) and formats messages, sizes and durations for it.
import { en, type MessageKey } from "./en.ts";
import { translations, type Translator } from "./translate.ts";
import { zh } from "./zh.ts";

export type Lang = "en" | "zh";
export const LANGS: { code: Lang; name: string }[] = [
  { code: "en", name: "English" },
  { code: "zh", name: "简体中文" },
];

const STORAGE_KEY = "dockerdl.lang";

export function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === "en" || saved === "zh") return saved;
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language];
  return preferred.some((l) => l.toLowerCase().startsWith("zh")) ? "zh" : "en";
}

/** Marks the page's language (for screen readers and fonts); stores nothing. */
export function applyLang(lang: Lang): void {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

/** Keeps the person's own choice; only a pick calls this, so the browser's language is never pinned. */
export function saveLang(lang: Lang): void {
  localStorage.setItem(STORAGE_KEY, lang);
}

export type Translate = Translator<MessageKey>;

export const translator = translations<MessageKey>({ en, zh });

/** Binary multiples with their binary names (1 MiB = 1024 KiB), exactly as the CLI prints sizes. */
export { formatBytes } from "../../../shared/engine/util.ts";

export function formatDuration(seconds: number, lang: Lang): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (lang === "zh") return h > 0 ? `${h} 小时 ${m} 分` : m > 0 ? `${m} 分 ${rest} 秒` : `${rest} 秒`;
  return h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${rest} s` : `${rest} s`;
}

export function formatDate(ms: number, lang: Lang): string {
  return new Date(ms).toLocaleString(lang === "zh" ? "zh-CN" : "en", { dateStyle: "medium", timeStyle: "short" });
}
