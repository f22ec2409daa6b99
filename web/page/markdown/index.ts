// A small Markdown parser for image descriptions, which are written by anyone who can
// push to Docker Hub. It produces a plain tree of allowed elements and text (no DOM),
// so it can be tested in Node and rendered with text nodes and attributes only: raw
// HTML is dropped, links keep only absolute http(s) URLs, images become links to the
// picture (no tracking pixels, no mixed content). Covers what READMEs use: headings,
// paragraphs, lists, block quotes, code, tables, emphasis, links. Linear scans only, no
// backtracking regular expressions, so a hostile description cannot stall the page.
// Its parts: blocks.ts (the block structure), inline.ts (text inside blocks), url.ts
// (the one gate for URLs), tree.ts (the output); Markdown.tsx renders the tree.
import { parseBlocks, readDefinition } from "./blocks.ts";
import type { LinkDefinition, MdNode } from "./tree.ts";

export type { MdElement, MdNode, MdTag } from "./tree.ts";
export { safeUrl } from "./url.ts";

/** Descriptions longer than this are cut (Hub allows 25,000 characters). */
const MAX_MARKDOWN = 100_000;

export function parseMarkdown(source: string): MdNode[] {
  const text = source.slice(0, MAX_MARKDOWN).replace(/\r\n?/g, "\n").replace(/\t/g, "    ").replace(/\0/g, "\uFFFD");
  const refs = new Map<string, LinkDefinition>();
  const lines = text.split("\n").filter((line) => !readDefinition(line, refs));
  return parseBlocks(lines, { refs, depth: 0 });
}
