// The Markdown parser's output and what its parts share: a plain tree of allowed
// elements and text (no DOM, no HTML strings), the parse context (link definitions and
// nesting depth), and the depth limit that keeps hostile nesting from recursing deeply.

export type MdTag =
  | "h3" | "h4" | "h5" | "h6" | "p" | "ul" | "ol" | "li" | "pre" | "code" | "em" | "strong" | "del"
  | "a" | "blockquote" | "hr" | "br" | "table" | "thead" | "tbody" | "tr" | "th" | "td";

export interface MdElement {
  tag: MdTag;
  /** Only `href` (a checked http(s) URL) and `title` on links, `start` on ordered lists. */
  attrs?: Record<string, string>;
  children: MdNode[];
}

export type MdNode = string | MdElement;

/** Nesting deeper than this (quotes, lists, emphasis) is read as plain text. */
export const MAX_DEPTH = 8;

/** A link definition, `[label]: https://… "title"`; `href` is "" when the URL was not safe. */
export interface LinkDefinition {
  href: string;
  title?: string;
}

export interface Ctx {
  refs: Map<string, LinkDefinition>;
  depth: number;
}

export const el = (tag: MdTag, children: MdNode[], attrs?: Record<string, string>): MdElement => (attrs ? { tag, attrs, children } : { tag, children });
