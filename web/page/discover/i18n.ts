// The search and image pages' own text, English and Simplified Chinese, following the
// app's language (web/page/i18n/context.ts; the main tables stay with the download form,
// so this chunk carries its words with it), and number and date formats for that language.
import { useI18n } from "../i18n/context.ts";
import type { Lang } from "../i18n/index.ts";
import { translations, type Translator } from "../i18n/translate.ts";

const en = {
  "search.title": "Search Docker Hub",
  "search.label": "Image name or keywords",
  "search.placeholder": "nginx, postgres, grafana/grafana…",
  "search.searching": "Searching for “{query}”…",
  "search.count": "Showing {shown} of {total} results for “{query}”",
  "search.none": "No images match “{query}”. Check the spelling, or try a shorter name.",
  "search.more": "Show more results",
  "search.loadingMore": "Loading more…",
  "popular.title": "Popular official images",
  "popular.loading": "Loading popular images…",
  "popular.count": "{count} popular official images",
  "badge.official": "Official image",
  "badge.verified": "Verified publisher",
  "stat.stars": "{count} stars",
  "stat.pulls": "{count} pulls",
  "stat.updated": "updated {date}",
  "action.download": "Download",
  "action.downloadImage": "Download {image}",
  "action.downloadFor": "Download {image} for {platform}",
  "action.explore": "Explore files",
  "image.pullLine": "the docker pull command",
  "action.exploreFor": "Explore the files of {image} for {platform}",
  "action.retry": "Try again",
  "action.back": "Back to search",
  "image.missing": "No image was named. Search for one:",
  "image.loading": "Loading {name}…",
  "image.stars": "Stars",
  "image.pulls": "Pulls",
  "image.updated": "Last updated",
  "image.registry": "Registry",
  "image.description": "Description",
  "image.noDescription": "The publisher has not written a description.",
  "image.tags": "Tags",
  "image.tagCount": "{shown} of {count} tags",
  "image.tagsShown": "{shown} tags",
  "image.moreTags": "Show more tags",
  "image.noTags": "No tags found.",
  "image.noSuchTag": "The tag {tag} was not found; these are the tags that exist.",
  "image.filter": "Filter tags",
  "image.filterNone": "No loaded tag contains “{filter}”.",
  "tag.platform": "Platform",
  "tag.size": "Compressed size",
  "image.sizeNote": "Sizes are the compressed layers as the registry lists them. The file you download is a little larger: it also holds the image's config, its manifest and the tar's headers.",
  "tag.actions": "Actions",
  "tag.updated": "updated {date}",
  "tag.platformsLater": "Platforms are listed on the download page.",
  "tag.noPlatforms": "No downloadable platforms.",
} as const;

export type DiscoverKey = keyof typeof en;

const zh: Record<DiscoverKey, string> = {
  "search.title": "搜索 Docker Hub",
  "search.label": "镜像名称或关键词",
  "search.placeholder": "nginx、postgres、grafana/grafana…",
  "search.searching": "正在搜索“{query}”…",
  "search.count": "“{query}”共 {total} 个结果，已显示 {shown} 个",
  "search.none": "没有与“{query}”匹配的镜像。请检查拼写，或换个更短的名称。",
  "search.more": "显示更多结果",
  "search.loadingMore": "正在加载更多…",
  "popular.title": "热门官方镜像",
  "popular.loading": "正在加载热门镜像…",
  "popular.count": "{count} 个热门官方镜像",
  "badge.official": "官方镜像",
  "badge.verified": "认证发布者",
  "stat.stars": "{count} 星标",
  "stat.pulls": "{count} 次拉取",
  "stat.updated": "更新于 {date}",
  "action.download": "下载",
  "action.downloadImage": "下载 {image}",
  "action.downloadFor": "下载 {image}（{platform}）",
  "action.explore": "浏览文件",
  "image.pullLine": "docker pull 命令",
  "action.exploreFor": "浏览 {image}（{platform}）中的文件",
  "action.retry": "重试",
  "action.back": "返回搜索",
  "image.missing": "没有指定镜像。请先搜索：",
  "image.loading": "正在加载 {name}…",
  "image.stars": "星标",
  "image.pulls": "拉取次数",
  "image.updated": "最近更新",
  "image.registry": "镜像仓库",
  "image.description": "说明",
  "image.noDescription": "发布者没有写说明。",
  "image.tags": "标签",
  "image.tagCount": "共 {count} 个标签，已显示 {shown} 个",
  "image.tagsShown": "已显示 {shown} 个标签",
  "image.moreTags": "显示更多标签",
  "image.noTags": "没有找到标签。",
  "image.noSuchTag": "没有找到标签 {tag}；下面是现有的标签。",
  "image.filter": "筛选标签",
  "image.filterNone": "已加载的标签中没有包含“{filter}”的。",
  "tag.platform": "平台",
  "tag.size": "压缩后大小",
  "image.sizeNote": "这里的大小是仓库列出的压缩后镜像层大小。下载得到的文件会稍大一些：它还包含镜像的配置、清单和 tar 文件头。",
  "tag.actions": "操作",
  "tag.updated": "更新于 {date}",
  "tag.platformsLater": "平台列表见下载页面。",
  "tag.noPlatforms": "没有可下载的平台。",
};

const translator = translations<DiscoverKey>({ en, zh });

export interface DiscoverText {
  t: Translator<DiscoverKey>;
  /** 13 B → "13B" / "130亿": short counts for stars and pulls. */
  count(n: number): string;
  /** The exact count, for titles. */
  exact(n: number): string;
  date(iso: string | null | undefined): string;
}

const cache = new Map<Lang, DiscoverText>();

function discoverText(lang: Lang): DiscoverText {
  const found = cache.get(lang);
  if (found) return found;
  const locale = lang === "zh" ? "zh-CN" : "en";
  const compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
  const full = new Intl.NumberFormat(locale);
  const dates = new Intl.DateTimeFormat(locale, { dateStyle: "medium" });
  const text: DiscoverText = {
    t: translator(lang),
    count: (n) => compact.format(n),
    exact: (n) => full.format(n),
    date: (iso) => {
      const ms = iso ? Date.parse(iso) : NaN;
      return Number.isFinite(ms) ? dates.format(ms) : "—";
    },
  };
  cache.set(lang, text);
  return text;
}

export function useDiscoverText(): DiscoverText {
  return discoverText(useI18n().lang);
}
