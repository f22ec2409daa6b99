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

export function saveLang(lang: Lang): void {
  localStorage.setItem(STORAGE_KEY, lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

export type Translate = Translator<MessageKey>;

export const translator = translations<MessageKey>({ en, zh });

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** Binary multiples with the short names people expect (1 MB = 1024 KB, as docker shows). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

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
