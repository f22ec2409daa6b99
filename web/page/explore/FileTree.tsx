// The merged filesystem as a tree: folders open on demand (their children are asked
// from the worker), each row shows mode, size, link target and the layer it comes
// from, with a download for files and a ZIP for folders. Typing a search (debounced)
// shows the matches with the folders that lead to them instead.
import { useEffect, useState } from "preact/hooks";
import { errorInfoOf, type ErrorInfo } from "../../lib/errors.ts";
import type { NodeView, OpenedImage, SearchResult } from "../../workers/explore/types.ts";
import { ErrorMessage } from "../components/ErrorMessage.tsx";
import { debounced } from "../debounce.ts";
import { formatBytes } from "../i18n/index.ts";
import { explorer } from "./explore-client.ts";
import { useExploreText } from "./i18n.ts";
import { baseName, formatMode } from "./mode.ts";

const PAGE = 1000;

interface Props {
  image: OpenedImage;
  onSave(node: NodeView): void;
}

export function FileTree({ image, onSave }: Props) {
  const { t } = useExploreText();
  const [kids, setKids] = useState<ReadonlyMap<string, NodeView[]>>(new Map());
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const [limits, setLimits] = useState<ReadonlyMap<string, number>>(new Map());
  const [query, setQuery] = useState("");
  const [result, setResult] = useState<SearchResult>();
  const [error, setError] = useState<ErrorInfo>();

  const load = (path: string) =>
    explorer.children({ path }).then(
      (list) => setKids((m) => new Map(m).set(path, list)),
      (e: unknown) => setError(errorInfoOf(e)),
    );

  useEffect(() => {
    setKids(new Map());
    setExpanded(new Set());
    setQuery("");
    void load("");
  }, [image.digest]);

  useEffect(() => {
    if (query.trim() === "") {
      setResult(undefined);
      return;
    }
    return debounced(250, (live) => {
      explorer.search({ query, limit: 500 }).then((r) => live() && setResult(r), (e: unknown) => live() && setError(errorInfoOf(e)));
    });
  }, [query, image.digest]);

  const toggle = (node: NodeView) => {
    const next = new Set(expanded);
    if (next.has(node.path)) next.delete(node.path);
    else {
      next.add(node.path);
      if (!kids.has(node.path)) void load(node.path);
    }
    setExpanded(next);
  };

  const level = (path: string, depth: number): preact.ComponentChildren => {
    const list = kids.get(path);
    if (!list) return null;
    const limit = limits.get(path) ?? PAGE;
    return (
      <>
        {list.slice(0, limit).map((node) => {
          const open = expanded.has(node.path);
          return (
            <Row key={node.path} node={node} level={depth} open={open} onToggle={() => toggle(node)} onSave={onSave}>
              {open && node.hasChildren && <ul role="group">{level(node.path, depth + 1)}</ul>}
            </Row>
          );
        })}
        {list.length > limit && (
          <li role="none" class="more">
            <button type="button" class="secondary" onClick={() => setLimits((m) => new Map(m).set(path, list.length))}>
              {t("row.showAll", { count: list.length })}
            </button>
          </li>
        )}
      </>
    );
  };

  const searching = query.trim() !== "";
  const matches = new Set(result?.matches ?? []);
  return (
    <section class="card explore-tree" aria-labelledby="tree-heading">
      <h2 id="tree-heading">{t("tree.heading")}</h2>
      <label for="explore-search">{t("search.label")}</label>
      <input
        id="explore-search" type="search" autocomplete="off" spellcheck={false} placeholder={t("search.placeholder")}
        value={query} onInput={(e) => setQuery(e.currentTarget.value)}
      />
      {error && <ErrorMessage error={error} />}
      {searching && result && (
        <p class="muted" role="status" data-testid="search-count">
          {result.total === 0 ? t("search.none", { query: query.trim() }) : result.truncated ? t("search.truncated", { shown: result.matches.length, count: result.total }) : t("search.count", { count: result.total })}
        </p>
      )}
      {searching ? (
        <ul class="tree" role="tree" aria-label={t("tree.label", { name: image.reference })} data-testid="search-results">
          {result?.nodes.map((node) => (
            <Row key={node.path} node={node} level={node.path.split("/").length} match={matches.has(node.path)} onSave={onSave} />
          ))}
        </ul>
      ) : (
        <ul class="tree" role="tree" aria-label={t("tree.label", { name: image.reference })} data-testid="tree">
          {level("", 1)}
        </ul>
      )}
    </section>
  );
}

interface RowProps {
  node: NodeView;
  level: number;
  open?: boolean;
  match?: boolean;
  onToggle?: () => void;
  onSave(node: NodeView): void;
  children?: preact.ComponentChildren;
}

function Row({ node, level, open = false, match = false, onToggle, onSave, children: nested }: RowProps) {
  const { t } = useExploreText();
  const isDir = node.type === "directory";
  const canToggle = isDir && node.hasChildren && onToggle !== undefined;
  const downloadable = node.type === "file" || node.type === "hardlink";
  return (
    <li
      role="treeitem" aria-level={level} aria-expanded={canToggle ? open : undefined} class={match ? "match" : undefined}
      data-path={node.path} data-type={node.type} data-size={node.size} data-mode={node.mode.toString(8)} data-layer={node.layer}
      data-link={node.linkname}
    >
      <div class="row" style={{ "--level": level - 1 }}>
        {canToggle ? (
          <button type="button" class="toggle" aria-label={t(open ? "row.close" : "row.open", { path: node.path })} onClick={onToggle}>
            {open ? "▾" : "▸"}
          </button>
        ) : (
          <span class="toggle" aria-hidden="true" />
        )}
        <span class="name" title={node.path}>
          {canToggle ? <span class="folder" onClick={onToggle}>{baseName(node.path)}/</span> : <span>{baseName(node.path)}{isDir ? "/" : ""}</span>}
          {node.type === "symlink" && <span class="link" title={t("row.symlink", { target: node.linkname ?? "" })}> → {node.linkname}</span>}
          {node.type === "hardlink" && <span class="link" title={t("row.hardlink", { target: node.linkname ?? "" })}> ⇒ /{node.linkname}</span>}
        </span>
        <span class="meta">
          <code class="mode">{formatMode(node.type, node.mode)}</code>
          <span class="size">{isDir || downloadable ? formatBytes(node.size) : ""}</span>
          <span class="layer" title={node.layer > 0 ? t("row.layerTitle", { n: node.layer }) : undefined}>{node.layer > 0 ? t("row.layer", { n: node.layer }) : ""}</span>
          <span class="act">
            {downloadable && (
              <button type="button" class="secondary" aria-label={t("row.downloadLabel", { path: node.path })} onClick={() => onSave(node)}>
                <span class="act-label">{t("row.download")}</span><span class="act-icon" aria-hidden="true">⤓</span>
              </button>
            )}
            {isDir && (
              <button type="button" class="secondary" aria-label={t("row.zipLabel", { path: node.path })} onClick={() => onSave(node)}>
                <span class="act-label">{t("row.zip")}</span><span class="act-icon" aria-hidden="true">⤓</span>
              </button>
            )}
          </span>
        </span>
      </div>
      {nested}
    </li>
  );
}
