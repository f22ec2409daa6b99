// A failure as a person needs it: what went wrong, then what to do about it, in the
// app's language (i18n/error-text.ts words it from the error's code and names).
import type { ErrorInfo } from "../../lib/errors.ts";
import { useI18n } from "../i18n/context.ts";
import { errorText } from "../i18n/error-text.ts";

export function ErrorMessage({ error, id }: { error: ErrorInfo; id?: string }) {
  const { t, lang } = useI18n();
  const text = errorText(error, lang, navigator.onLine);
  return (
    <div class="error" role="alert" id={id} data-code={error.code}>
      <p class="error-message">{text.message}</p>
      {text.detail && <p class="muted error-detail" lang="en">{text.detail}</p>}
      {text.hint && <p class="hint">{t("error.what", { hint: text.hint })}</p>}
    </div>
  );
}
