// The current language and its translator, for every component.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { translator, type Lang, type Translate } from "./index.ts";

export const I18n = createContext<{ lang: Lang; t: Translate }>({ lang: "en", t: translator("en") });
export const useI18n = () => useContext(I18n);
