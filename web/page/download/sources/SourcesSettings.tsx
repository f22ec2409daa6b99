// Settings: the extra sources a download fetches layers from beside this app's own
// Worker (issue #29). Each URL is checked as it is added (source-urls.ts); a refused
// one says why, in the person's language, the URL unchanged.
import { useState } from "preact/hooks";
import { useI18n } from "../../i18n/context.ts";
import { checkSourceUrl, loadSources, saveSources } from "./source-urls.ts";

export function SourcesSettings() {
  const { t } = useI18n();
  const [sources, setSources] = useState(loadSources);
  const [text, setText] = useState("");
  const [refusal, setRefusal] = useState<string>();

  const keep = (list: string[]) => {
    saveSources(list);
    setSources(list);
  };
  const add = (event: Event) => {
    event.preventDefault();
    const check = checkSourceUrl(text, sources, location.origin);
    if (!check.ok) return setRefusal(t(check.key, check.params));
    setRefusal(undefined);
    setText("");
    keep([...sources, check.url]);
  };

  return (
    <details class="card sources" data-testid="sources">
      <summary>{t("sources.title", { count: sources.length })}</summary>
      <p class="muted">{t("sources.help")}</p>
      {sources.length > 0 && (
        <ul class="source-list">
          {sources.map((url) => (
            <li key={url}>
              <code>{url}</code>{" "}
              <button type="button" class="secondary" onClick={() => keep(sources.filter((s) => s !== url))}>{t("sources.remove")}</button>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={add}>
        <label for="source-url">{t("sources.label")}</label>
        <input
          id="source-url" name="source-url" type="text" inputMode="url" spellcheck={false} value={text} placeholder="https://dockerdl.example.workers.dev"
          aria-invalid={refusal !== undefined} aria-describedby={refusal ? "source-refusal" : undefined}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        <button type="submit">{t("sources.add")}</button>
        {refusal && <p id="source-refusal" class="error" role="alert" data-testid="source-refusal">{refusal}</p>}
      </form>
    </details>
  );
}
