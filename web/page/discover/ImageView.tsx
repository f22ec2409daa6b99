// #/image?image=…: one image's page — badges, stars, pulls, last update, the
// description (markdown, rendered safely), and its tags with per-platform sizes, each a
// click away from the download form or the file explorer.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { errorInfoOf, type ErrorInfo } from "../../lib/errors.ts";
import { parseReference } from "../../../shared/reference.ts";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { useI18n } from "../i18n/context.ts";
import { routeHref } from "../route.ts";
import { LAST_SEARCH_KEY, imageDetails, isAbortError, type ImageDetails, type TagInfo } from "./api.ts";
import { discoverText } from "./i18n.ts";
import { Markdown } from "../markdown/Markdown.tsx";
import { TagTable } from "./TagTable.tsx";

/** The tag the reference names explicitly ("nginx:1.27" → "1.27"; "nginx" → none, not "latest"). */
function namedTag(image: string): string | undefined {
  const last = image.slice(image.lastIndexOf("/") + 1);
  if (!last.includes(":") || image.includes("@")) return undefined;
  try {
    return parseReference(image).tag;
  } catch {
    return undefined;
  }
}

export function ImageView({ params }: { params: URLSearchParams }) {
  const { lang } = useI18n();
  const text = discoverText(lang);
  const { t } = text;
  const image = (params.get("image") ?? "").trim();
  const [details, setDetails] = useState<ImageDetails>();
  const [tags, setTags] = useState<TagInfo[]>([]);
  const [error, setError] = useState<ErrorInfo>();
  const [attempt, setAttempt] = useState(0);
  const [moreLoading, setMoreLoading] = useState(false);
  const [moreError, setMoreError] = useState<ErrorInfo>();
  const [filter, setFilter] = useState("");
  const more = useRef<AbortController>(undefined);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    setDetails(undefined);
    setTags([]);
    setError(undefined);
    setMoreError(undefined);
    setFilter("");
    if (!image) return;
    const controller = new AbortController();
    imageDetails(image, 1, controller.signal).then(
      (found) => {
        setDetails(found);
        // The tag the reference names goes first, even when it is not on the first page.
        const named = found.tag;
        setTags(named && named.platforms !== null ? [named, ...found.tags.filter((x) => x.name !== named.name)] : found.tags);
      },
      (e: unknown) => !isAbortError(e) && setError(errorInfoOf(e)),
    );
    return () => {
      controller.abort();
      more.current?.abort();
    };
  }, [image, attempt]);

  // Move focus to the page's heading once it loads, as a page change would.
  useEffect(() => {
    if (details) heading.current?.focus();
  }, [details]);

  const loadMoreTags = () => {
    if (!details || moreLoading) return;
    const controller = new AbortController();
    more.current = controller;
    const page = details.page + 1;
    setMoreLoading(true);
    setMoreError(undefined);
    imageDetails(image, page, controller.signal).then(
      (found) => {
        setDetails((now) => (now ? { ...now, page, hasMoreTags: found.hasMoreTags, tagCount: found.tagCount } : now));
        setTags((now) => {
          const seen = new Set(now.map((x) => x.name));
          return [...now, ...found.tags.filter((x) => !seen.has(x.name))];
        });
        setMoreLoading(false);
      },
      (e: unknown) => {
        if (isAbortError(e)) return;
        setMoreError(errorInfoOf(e));
        setMoreLoading(false);
      },
    );
  };

  const shownTags = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return f ? tags.filter((x) => x.name.toLowerCase().includes(f)) : tags;
  }, [tags, filter]);

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
          <button type="button" onClick={() => setAttempt((n) => n + 1)}>{t("action.retry")}</button>
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

  const askedTag = namedTag(image);
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
      </div>

      <div class="card">
        <h3 id="tags-title">{t("image.tags")}</h3>
        {askedTag && details.tag === null && <p class="note" role="status">{t("image.noSuchTag", { tag: askedTag })}</p>}
        <p class="note" data-testid="size-note">{t("image.sizeNote")}</p>
        {tags.length > 8 && (
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
          <TagTable name={details.name} tags={shownTags} text={text} />
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
