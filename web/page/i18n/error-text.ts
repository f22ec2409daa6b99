// What an error says, in the app's language: the message with the names it carries
// inserted unchanged (never re-cased: `test/x` and `quay.io` are names), the app's hint,
// and, where Chinese has only a general sentence for an error, shared/'s English
// message as a detail line. A network failure while the browser is offline says so
// instead of advising on addresses.
import type { ErrorInfo } from "../../lib/errors.ts";
import { EN_HINTS, EN_MESSAGES, ZH_HINTS, ZH_MESSAGES } from "./error-words.ts";
import type { Lang } from "./index.ts";

export interface ErrorText {
  message: string;
  /** The English original, when the message is only a general translation of it. */
  detail?: string;
  hint?: string;
}

export function errorText(error: ErrorInfo, lang: Lang, online = true): ErrorText {
  const key = !online && error.code === "NETWORK" ? (error.params?.what ? "offline" : "offline.plain") : (error.key ?? error.code);
  const params = { ...error.params, ...(error.params?.what ? { what: describeWhat(error.params.what, lang) } : {}) };
  const hint = pick(lang === "zh" ? ZH_HINTS : EN_HINTS, key, error.code) ?? (lang === "en" ? error.hint : undefined);
  const table = lang === "zh" ? ZH_MESSAGES : EN_MESSAGES;
  const own = table[key];
  const general = own === undefined && lang === "zh" ? (ZH_MESSAGES[error.code] ?? ZH_MESSAGES.UNKNOWN) : undefined;
  const text: ErrorText = own !== undefined ? { message: fill(own, params) } : general !== undefined ? { message: general, detail: error.message } : { message: error.message };
  if (hint !== undefined && hint !== "") text.hint = fill(hint, params);
  return text;
}

/** The key's entry, else the code's. */
function pick(table: Record<string, string>, key: string, code: string): string | undefined {
  return table[key] ?? table[key.split(".")[0]] ?? table[code];
}

function fill(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => params[name] ?? whole);
}

// shared/registry's `what` is English words around names ("blob sha256:… of test/x",
// "the config of test/x"); the names are kept, the words translated.
const ZH_WHAT: [RegExp, string][] = [
  [/^blob (\S+) of (.+)$/, "$2 的数据块 $1"],
  [/^foreign layer (.+)$/, "外部层 $1"],
  [/^the config of (.+)$/, "$1 的配置"],
  [/^the tag list of (.+)$/, "$1 的标签列表"],
  [/^a token$/, "令牌"],
  [/^(\S+) \(manifest (\S+)\)$/, "$1（清单 $2）"],
  [/^(\S+) (manifests|blobs)\/(\S+)$/, "$1 的 $3"],
];

export function describeWhat(what: string, lang: Lang): string {
  if (lang !== "zh") return what;
  for (const [pattern, replacement] of ZH_WHAT) if (pattern.test(what)) return what.replace(pattern, replacement);
  return what;
}
