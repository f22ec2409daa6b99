// An image's tags: per tag, the platforms it offers with their compressed sizes, each
// with a link to the download form (tag and platform preselected) and to the file
// explorer. A table on wide screens; on phones each tag stacks into a small card.
import { formatBytes } from "../i18n/index.ts";
import { routeHref } from "../route.ts";
import type { TagInfo } from "./api.ts";
import { useDiscoverText } from "./i18n.ts";

export function TagTable({ name, tags }: { name: string; tags: TagInfo[] }) {
  const text = useDiscoverText();
  const { t } = text;
  return (
    <table class="tags">
      <caption class="visually-hidden">{t("image.tags")}</caption>
      <thead>
        <tr>
          <th scope="col">{t("tag.platform")}</th>
          <th scope="col">{t("tag.size")}</th>
          <th scope="col"><span class="visually-hidden">{t("tag.actions")}</span></th>
        </tr>
      </thead>
      {tags.map((tag) => {
        const image = `${name}:${tag.name}`;
        return (
          <tbody key={tag.name} data-tag={tag.name}>
            <tr class="tag-head">
              <th scope="rowgroup" colSpan={3}>
                <code class="tag-name">{tag.name}</code>
                {tag.lastUpdated && <span class="muted"> · {t("tag.updated", { date: text.date(tag.lastUpdated) })}</span>}
              </th>
            </tr>
            {tag.platforms === null ? (
              <tr>
                <td colSpan={2} class="muted">{t("tag.platformsLater")}</td>
                <td class="tag-cell-actions">
                  <div class="tag-actions">
                    <a class="button primary" href={routeHref("download", { image })} aria-label={t("action.downloadImage", { image })}>{t("action.download")}</a>
                  </div>
                </td>
              </tr>
            ) : tag.platforms.length === 0 ? (
              <tr><td colSpan={3} class="muted">{t("tag.noPlatforms")}</td></tr>
            ) : (
              tag.platforms.map((p) => (
                <tr key={p.platform} data-platform={p.platform}>
                  <td data-label={t("tag.platform")}><code>{p.platform}</code></td>
                  <td data-label={t("tag.size")} class="num">{p.size === null ? "—" : formatBytes(p.size)}</td>
                  <td class="tag-cell-actions"><div class="tag-actions">
                    <a class="button primary" href={routeHref("download", { image, platform: p.platform })} aria-label={t("action.downloadFor", { image, platform: p.platform })}>
                      {t("action.download")}
                    </a>
                    <a class="button" href={routeHref("explore", { image, platform: p.platform })} aria-label={t("action.exploreFor", { image, platform: p.platform })}>
                      {t("action.explore")}
                    </a>
                  </div></td>
                </tr>
              ))
            )}
          </tbody>
        );
      })}
    </table>
  );
}
