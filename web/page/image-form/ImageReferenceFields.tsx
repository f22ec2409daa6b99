// The reference, platform and credentials fields, for the download form and the
// explorer alike: the reference as typed (with tag suggestions when the form has them)
// and what is wrong with it, the lookup's progress or failure, the platform picker or
// the one platform a single-platform image has, and the credentials. The state is
// useImageLookup's; this renders it and reports changes.
import type { Ref } from "preact";
import { formatPlatform } from "../../../shared/platform.ts";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import type { ErrorInfo } from "../../lib/errors.ts";
import { useI18n } from "../i18n/context.ts";
import { errorText } from "../i18n/error-text.ts";
import { CredentialsFields } from "./CredentialsFields.tsx";
import type { ImageLookup } from "./use-image-lookup.ts";

interface Props {
  form: ImageLookup;
  /** Starts the fields' ids, names and test ids, so two forms can live in one page ("", "explore-"). */
  idPrefix?: string;
  placeholder: string;
  help: string;
  inputRef?: Ref<HTMLInputElement>;
  /** Whole references to offer while the reference is typed. */
  suggestions?: string[];
  /** Said under the credentials once the remembered ones are forgotten. */
  forgottenNotice?: string;
}

export function ImageReferenceFields({ form, idPrefix = "", placeholder, help, inputRef, suggestions, forgottenNotice }: Props) {
  const { t, lang } = useI18n();
  const fieldError = (error: ErrorInfo) => {
    const text = errorText(error, lang);
    return `${t("ref.invalid")}: ${text.message}${text.hint ? ` — ${text.hint}` : ""}`;
  };
  const { reference, setReference, refError, lookup, platforms, platform } = form;
  const id = `${idPrefix}reference`;
  const listId = `${idPrefix}tag-suggestions`;
  return (
    <>
      <label for={id}>{t("ref.label")}</label>
      <input
        id={id} ref={inputRef} name={id} list={suggestions ? listId : undefined} autocomplete="off" autocapitalize="off" spellcheck={false}
        placeholder={placeholder} value={reference} onInput={(e) => setReference(e.currentTarget.value)}
        aria-invalid={refError ? true : undefined} aria-describedby={refError ? `${id}-error` : `${id}-help`}
      />
      {suggestions && (
        <datalist id={listId}>
          {suggestions.map((value) => <option key={value} value={value} />)}
        </datalist>
      )}
      {refError ? (
        <p id={`${id}-error`} class="field-error" role="alert">{fieldError(refError)}</p>
      ) : (
        <p id={`${id}-help`} class="muted">{help}</p>
      )}
      <div aria-live="polite" class="lookup">
        {lookup.status === "loading" && <p class="muted">{t("ref.checking", { name: lookup.name })}</p>}
        {lookup.status === "error" && <ErrorMessage error={lookup.error} />}
        {lookup.status === "ok" && form.platformError && <ErrorMessage error={form.platformError} id={`${idPrefix}platform-error`} />}
      </div>
      {lookup.status === "ok" && lookup.kind === "index" && (
        <label class="platform">
          {t("platform.label")}
          <select name={`${idPrefix}platform`} value={platform} onChange={(e) => form.pickPlatform(e.currentTarget.value)}>
            {platform === "" && <option value="">{t("platform.choose")}</option>}
            {platforms.map((p) => <option key={formatPlatform(p)} value={formatPlatform(p)}>{formatPlatform(p)}</option>)}
          </select>
          <span class="muted">{t("platform.count", { count: platforms.length })}</span>
        </label>
      )}
      {lookup.status === "ok" && lookup.kind === "image" && platforms[0] && (
        <p class="platform-single" data-testid={`${idPrefix}single-platform`}>{t("platform.single", { platform: formatPlatform(platforms[0]) })}</p>
      )}
      <CredentialsFields
        value={form.creds} registry={form.registry} remembered={form.remembered} onChange={form.setCreds}
        onForget={() => void form.forget(forgottenNotice)} notice={form.credsNotice}
      />
    </>
  );
}
