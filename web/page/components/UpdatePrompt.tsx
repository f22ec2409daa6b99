// Tells the person a new version was deployed and switches to it when they agree.
import { useI18n } from "../i18n/context.ts";
import { takeOver } from "../sw-client.ts";

export function UpdatePrompt({ waiting }: { waiting: ServiceWorker | undefined }) {
  const { t } = useI18n();
  if (!waiting) return null;
  return (
    <div class="update" role="status">
      <span>{t("update.available")}</span>
      <button type="button" class="primary" onClick={() => takeOver(waiting)}>
        {t("update.reload")}
      </button>
    </div>
  );
}
