// The one placeholder rule for every message table (the app's, and the views' own that
// load with them): "{name}" is filled from the params, and stays as it is when a param
// is missing, so a slip shows instead of vanishing. Translators are made once a language.
import type { Lang } from "./index.ts";

export type Params = Record<string, string | number>;
export type Translator<K extends string> = (key: K, params?: Params) => string;

export function translatorOf<K extends string>(table: Record<K, string>): Translator<K> {
  return (key, params) => table[key].replace(/\{(\w+)\}/g, (_, name: string) => String(params?.[name] ?? `{${name}}`));
}

/** A table per language → the translator for a language. */
export function translations<K extends string>(tables: Record<Lang, Record<K, string>>): (lang: Lang) => Translator<K> {
  const made = new Map<Lang, Translator<K>>();
  return (lang) => {
    let translator = made.get(lang);
    if (!translator) made.set(lang, (translator = translatorOf(tables[lang])));
    return translator;
  };
}
