// A failure as a person needs it: what went wrong, then what to do about it. The
// shared modules' hints are written for the CLI (they name its flags), so the common
// codes get the app's own advice, in the app's language.
import type { ErrorInfo } from "../../lib/errors.ts";
import type { MessageKey } from "../i18n/en.ts";
import { useI18n } from "../i18n/context.ts";

const APP_HINTS = new Set(["UNAUTHORIZED", "NOT_FOUND", "PLATFORM_NOT_AVAILABLE", "RATE_LIMITED", "NETWORK"]);

export function ErrorMessage({ error, id }: { error: ErrorInfo; id?: string }) {
  const { t } = useI18n();
  const hint = APP_HINTS.has(error.code) ? t(`hint.${error.code}` as MessageKey) : error.hint;
  return (
    <div class="error" role="alert" id={id}>
      <p>{capitalise(error.message)}</p>
      {hint && <p class="hint">{t("error.what", { hint })}</p>}
    </div>
  );
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
