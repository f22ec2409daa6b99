// Optional credentials for a private image or registry. In memory for this tab unless
// "remember on this device" is ticked; then in IndexedDB until forgotten.
import { useEffect, useState } from "preact/hooks";
import { useI18n } from "../i18n/context.ts";

export interface CredentialsState {
  username: string;
  password: string;
  remember: boolean;
}

interface Props {
  value: CredentialsState;
  registry?: string;
  remembered: boolean;
  onChange(value: CredentialsState): void;
  onForget(): void;
  notice?: string;
}

export function CredentialsFields({ value, registry, remembered, onChange, onForget, notice }: Props) {
  const { t } = useI18n();
  // Opens by itself when there is something to show; only the person closes it.
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (remembered || value.username !== "" || notice) setOpen(true);
  }, [remembered, value.username, notice]);
  return (
    <details class="credentials" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{t("creds.summary")}</summary>
      <div class="fields">
        <label>
          {t("creds.username")}
          <input name="username" autocomplete="username" value={value.username} onInput={(e) => onChange({ ...value, username: e.currentTarget.value })} />
        </label>
        <label>
          {t("creds.password")}
          <input name="password" type="password" autocomplete="current-password" value={value.password} onInput={(e) => onChange({ ...value, password: e.currentTarget.value })} />
        </label>
      </div>
      <label class="check">
        <input type="checkbox" name="remember" checked={value.remember} onChange={(e) => onChange({ ...value, remember: e.currentTarget.checked })} />
        {t("creds.remember")}
      </label>
      <p class="note">{remembered && registry ? t("creds.rememberedNote", { registry }) : t("creds.memoryNote")}</p>
      {remembered && (
        <button type="button" class="secondary" onClick={onForget}>
          {t("creds.forget")}
        </button>
      )}
      {notice && <p class="note" role="status">{notice}</p>}
    </details>
  );
}
