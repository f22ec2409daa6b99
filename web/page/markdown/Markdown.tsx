// Renders the parser's tree (index.ts) as elements: text goes in as text nodes and the
// only attributes are checked link URLs, so nothing in a description can run. Links
// open in a new tab without a referrer or an opener, and are marked nofollow (the text
// is the publisher's, not ours).
import { h, type ComponentChildren, type VNode } from "preact";
import { useMemo } from "preact/hooks";
import { parseMarkdown, type MdNode } from "./index.ts";

function render(node: MdNode, key: number): ComponentChildren {
  if (typeof node === "string") return node;
  const children = node.children.map(render);
  if (node.tag === "a") {
    const href = node.attrs?.href ?? "";
    // Checked again here: the parser is the first line, this the second.
    if (!/^https?:\/\//i.test(href)) return h("span", { key }, children);
    return h("a", { key, href, title: node.attrs?.title, rel: "noopener noreferrer nofollow", target: "_blank" }, children);
  }
  if (node.tag === "ol") return h("ol", { key, start: node.attrs?.start ? Number(node.attrs.start) : undefined }, children);
  if (node.tag === "table") return h("div", { key, class: "md-table" }, h("table", null, children));
  return h(node.tag, { key }, children);
}

export function Markdown({ source }: { source: string }): VNode {
  const tree = useMemo(() => parseMarkdown(source), [source]);
  return <div class="md">{tree.map(render)}</div>;
}
