// After a download: the commands that load the file into Docker or Podman.
import { useI18n } from "../i18n/context.ts";
import { CopyLine } from "../components/CopyButton.tsx";

export function LoadCommands({ fileName }: { fileName: string }) {
  const { t } = useI18n();
  const quoted = /^[\w.@:+-]+$/.test(fileName) ? fileName : `'${fileName.replace(/'/g, "'\\''")}'`;
  return (
    <div class="load-commands">
      <p>{t("done.load")}</p>
      <CopyLine text={`docker load -i ${quoted}`} label="docker load" />
      <CopyLine text={`podman load -i ${quoted}`} label="podman load" />
    </div>
  );
}
