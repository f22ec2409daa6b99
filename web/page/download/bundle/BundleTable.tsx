// A bundle's images, one row each: where it came from (a line of the box or the file, a
// Compose service), the reference as written, and once looked up its platform and size,
// or what is wrong with that line or service, in the app's language, names unchanged.
// A problem takes a row of its own, the table's full width, under its image's row: in a
// cell beside the others, its long words squeezed the origin and the headers into
// columns a letter wide ("Fr/o/m", "lin/e 1").
import { formatPlatform } from "../../../../shared/platform.ts";
import { ErrorMessage } from "../../components/ErrorMessage.tsx";
import { useI18n } from "../../i18n/context.ts";
import { formatBytes } from "../../i18n/index.ts";
import { Fragment } from "preact";
import type { RowOrigin } from "./bundle-rows.ts";
import type { LookedUpRow } from "./use-bundle.ts";

export function BundleTable({ rows, loading }: { rows: LookedUpRow[]; loading: boolean }) {
  const { t } = useI18n();
  const origin = (o: RowOrigin) =>
    "service" in o ? t("bundle.service", { file: o.file, service: o.service }) : o.file !== undefined ? t("bundle.fileLine", { file: o.file, line: o.line }) : t("bundle.line", { line: o.line });
  return (
    <div class="table-scroll">
      <table class="bundle-table" data-testid="bundle-table">
        <thead>
          <tr>
            <th scope="col">{t("bundle.col.origin")}</th>
            <th scope="col">{t("bundle.col.image")}</th>
            <th scope="col">{t("bundle.col.platform")}</th>
            <th scope="col">{t("bundle.col.size")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => {
            const errorId = `bundle-row-${i}-error`;
            return (
              <Fragment key={`${origin(row.origin)}\0${row.reference}`}>
                <tr
                  data-bundle-row={row.reference} data-state={row.error ? "error" : row.summary ? "ok" : "pending"}
                  class={row.error ? "has-error" : undefined} aria-describedby={row.error ? errorId : undefined}
                >
                  <td class="bundle-origin">{origin(row.origin)}</td>
                  <td><code>{row.reference}</code></td>
                  <td data-testid="bundle-platform">{row.error ? "" : row.summary ? formatPlatform(row.summary.platform) : (row.platform ?? (loading ? "…" : ""))}</td>
                  <td data-testid="bundle-size">{row.error ? "" : row.summary ? formatBytes(row.summary.totalSize) : loading ? "…" : ""}</td>
                </tr>
                {row.error && (
                  <tr class="bundle-error" data-bundle-error={row.reference}>
                    <td colSpan={4} id={errorId}><ErrorMessage error={row.error} /></td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
