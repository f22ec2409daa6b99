// #/image?image=…: one image's page — badges, stars, pulls, last update, the
// description (markdown, rendered safely), and its tags with per-platform sizes, each a
// click away from the download form or the file explorer. The state is use-image-details.ts's.
import { useEffect, useRef } from "preact/hooks";
import { CopyLine } from "../components/CopyButton.tsx";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { routeHref } from "../route.ts";
import { LAST_SEARCH_KEY } from "./api.ts";
import { useDiscoverText } from "./i18n.ts";
import { Markdown } from "../markdown/Markdown.tsx";
import { TagTable } from "./TagTable.tsx";
import { useImageDetails } from "./use-image-details.ts";

export function ImageView({ params }: { params: URLSearchParams }) {
  const text = useDiscoverText();
  const { t } = text;
  const image = (params.get("image") ?? "").trim();
  const { details, tags, shownTags, error, retry, moreLoading, moreError, loadMoreTags, filter, setFilter, askedTag } = useImageDetails(image);
  const heading = useRef<HTMLHeadingElement>(null);

  // Move focus to the page's heading once it loads, as a page change would.
  useEffect(() => {
    if (details) heading.current?.focus();
  }, [details]);

  const lastSearch = sessionStorage.getItem(LAST_SEARCH_KEY) ?? "";
  const back = <a href={routeHref("search", { q: lastSearch })} class="back">← {t("action.back")}</a>;

  if (!image) {
    return (
      <section class="image-page">
        <p>{t("image.missing")} <a href={routeHref("search")}>{t("search.title")}</a></p>
      </section>
    );
  }
  if (error) {
    return (
      <section class="image-page" aria-labelledby="image-title">
        {back}
        <div class="card">
          <h2 id="image-title">{image}</h2>
          <ErrorMessage error={error} />
          <button type="button" onClick={retry}>{t("action.retry")}</button>
        </div>
      </section>
    );
  }
  if (!details) {
    return (
      <section class="image-page">
        {back}
        <p class="muted" role="status">{t("image.loading", { name: image })}</p>
      </section>
    );
  }

  const mainTag = details.tag?.name ?? tags[0]?.name;
  const mainImage = mainTag ? `${details.name}:${mainTag}` : details.name;
  return (
    <section class="image-page" aria-labelledby="image-title">
      {back}
      <div class="card image-head">
        <h2 id="image-title" ref={heading} tabIndex={-1}>{details.name}</h2>
        <p class="badges">
          {details.official === true && <span class="pill pill-official">{t("badge.official")}</span>}
          {details.source === "registry" && <span class="pill">{details.registry}</span>}
        </p>
        {details.description && <p class="image-summary">{details.description}</p>}
        <dl class="image-stats">
          {details.stars !== null && <><dt>{t("image.stars")}</dt><dd title={text.exact(details.stars)}>{text.count(details.stars)}</dd></>}
          {details.pulls !== null && <><dt>{t("image.pulls")}</dt><dd title={text.exact(details.pulls)}>{text.count(details.pulls)}</dd></>}
          {details.lastUpdated && <><dt>{t("image.updated")}</dt><dd>{text.date(details.lastUpdated)}</dd></>}
          {details.source === "registry" && <><dt>{t("image.registry")}</dt><dd><code>{details.registry}</code></dd></>}
        </dl>
        <div class="actions">
          <a class="button primary" href={routeHref("download", { image: mainImage })} aria-label={t("action.downloadImage", { image: mainImage })}>
            {t("action.download")} <code>{mainImage}</code>
          </a>
          <a class="button" href={routeHref("explore", { image: mainImage })}>{t("action.explore")}</a>
        </div>
        {/* For a machine whose docker reaches a registry (or this mirror) after all. */}
        <CopyLine text={`docker pull ${mainImage}`} label={t("image.pullLine")} />
      </div>

      <div class="card">
        <h3 id="tags-title">{t("image.tags")}</h3>
        {askedTag && details.tag === null && <p class="note" role="status">{t("image.noSuchTag", { tag: askedTag })}</p>}
        <p class="note" data-testid="size-note">{t("image.sizeNote")}</p>
        {/* Whenever there is more than one tag to choose from (it showed past 8 only, so most
            image pages had none). */}
        {(tags.length > 1 || details.hasMoreTags) && (
          <label class="tag-filter">
            {t("image.filter")}
            <input type="search" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} autocomplete="off" spellcheck={false} />
          </label>
        )}
        <p class="muted" aria-live="polite">
          {details.tagCount !== null ? t("image.tagCount", { shown: text.exact(tags.length), count: text.exact(details.tagCount) }) : t("image.tagsShown", { shown: text.exact(tags.length) })}
        </p>
        {tags.length === 0 ? (
          <p class="muted">{t("image.noTags")}</p>
        ) : shownTags.length === 0 ? (
          <p class="muted">{t("image.filterNone", { filter: filter.trim() })}</p>
        ) : (
          <TagTable name={details.name} tags={shownTags} />
        )}
        {moreError && <ErrorMessage error={moreError} />}
        {details.hasMoreTags && (
          <div class="actions">
            <button type="button" onClick={loadMoreTags} disabled={moreLoading}>{moreLoading ? t("search.loadingMore") : t("image.moreTags")}</button>
          </div>
        )}
      </div>

      <div class="card">
        <h3>{t("image.description")}</h3>
        {details.fullDescription?.trim() ? <Markdown source={details.fullDescription} /> : <p class="muted">{t("image.noDescription")}</p>}
      </div>
    </section>
  );
}
