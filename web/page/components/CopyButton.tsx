// A command shown ready to copy, with a button that copies it and says so.
import { useState } from "preact/hooks";
import { useI18n } from "../i18n/context.ts";

export function CopyLine({ text, label }: { text: string; label: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      // Clipboard refused (no permission): the text stays selectable.
    }
  };
  return (
    <div class="copy-line">
      <code>{text}</code>
      <button type="button" onClick={copy} aria-label={`${t("copy")}: ${label}`}>
        {copied ? t("copied") : t("copy")}
      </button>
    </div>
  );
}
