// Tells the person a new version was deployed and switches to it when they agree.
import { useI18n } from "../i18n/context.ts";

export function UpdatePrompt({ waiting }: { waiting: ServiceWorker | undefined }) {
  const { t } = useI18n();
  if (!waiting) return null;
  return (
    <div class="update" role="status">
      <span>{t("update.available")}</span>
      <button type="button" class="primary" onClick={() => waiting.postMessage({ kind: "skip-waiting" })}>
        {t("update.reload")}
      </button>
    </div>
  );
}
