// A small Markdown parser for image descriptions, which are written by anyone who can
// push to Docker Hub. It produces a plain tree of allowed elements and text (no DOM),
// so it can be tested in Node and rendered with text nodes and attributes only: raw
// HTML is dropped, links keep only absolute http(s) URLs, images become links to the
// picture (no tracking pixels, no mixed content). Covers what READMEs use: headings,
// paragraphs, lists, block quotes, code, tables, emphasis, links. Linear scans only, no
// backtracking regular expressions, so a hostile description cannot stall the page.

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

/** Descriptions longer than this are cut (Hub allows 25,000 characters). */
const MAX_MARKDOWN = 100_000;
const MAX_DEPTH = 8;

/** An absolute http(s) URL, normalised; null for anything else (javascript:, data:, relative…). */
export function safeUrl(raw: string): string | null {
  const text = raw.trim().replace(/^<|>$/g, "");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.username || url.password) return null;
  return url.href;
}

export function parseMarkdown(source: string): MdNode[] {
  const text = source.slice(0, MAX_MARKDOWN).replace(/\r\n?/g, "\n").replace(/\t/g, "    ").replace(/\0/g, "\uFFFD");
  const refs = new Map<string, { href: string; title?: string }>();
  const lines = text.split("\n").filter((line) => !readDefinition(line, refs));
  return parseBlocks(lines, { refs, depth: 0 });
}

interface Ctx {
  refs: Map<string, { href: string; title?: string }>;
  depth: number;
}

const el = (tag: MdTag, children: MdNode[], attrs?: Record<string, string>): MdElement => (attrs ? { tag, attrs, children } : { tag, children });

// --- blocks -------------------------------------------------------------------------------

const isBlank = (line: string) => line.trim() === "";
const indentOf = (line: string) => line.length - line.trimStart().length;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const HEADING = /^ {0,3}(#{1,6})(?: +(.*))?$/;
const RULE = /^ {0,3}([-*_])(?:[ ]*\1){2,}[ ]*$/;
const QUOTE = /^ {0,3}> ?/;
const BULLET = /^( {0,3})([-*+])( +|$)/;
const ORDERED = /^( {0,3})(\d{1,9})[.)]( +|$)/;
const HTML_START = /^ {0,3}<(\/?[a-zA-Z][a-zA-Z0-9-]*(\s|\/?>|$)|!--|!\[CDATA\[|![A-Z]|\?)/;
const RAW_TEXT = /^ {0,3}<(script|style|pre|textarea)(\s|>|$)/i;

function listMarker(line: string): { ordered: boolean; start: number; width: number } | null {
  const b = BULLET.exec(line);
  if (b && !RULE.test(line)) return { ordered: false, start: 1, width: b[1].length + 1 + Math.min(b[3].length || 1, 4) };
  const o = ORDERED.exec(line);
  if (o) return { ordered: true, start: Number(o[2]), width: o[1].length + o[2].length + 1 + Math.min(o[3].length || 1, 4) };
  return null;
}

/** Lines that end a paragraph. Inline HTML does not (its tags are dropped as text goes on); <script>… does. */
function startsBlock(line: string): boolean {
  return FENCE.test(line) || HEADING.test(line) || RULE.test(line) || QUOTE.test(line) || listMarker(line) !== null || RAW_TEXT.test(line) || /^ {0,3}<!--/.test(line);
}

/** A table's separator row: | --- | :-: | ---: | */
function isTableSeparator(line: string): boolean {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|")) row = row.slice(0, -1);
  return row.includes("-") && row.split("|").every((cell) => /^:?-+:?$/.test(cell.trim()));
}

/** Heading text without the optional closing #s. */
function headingText(raw: string | undefined): string {
  let text = (raw ?? "").trimEnd();
  let end = text.length;
  while (end > 0 && text[end - 1] === "#") end--;
  if (end === 0 || text[end - 1] === " ") text = text.slice(0, end);
  return text.trim();
}

function parseBlocks(lines: string[], ctx: Ctx): MdNode[] {
  if (ctx.depth > MAX_DEPTH) return [el("p", [lines.join(" ").trim()])];
  const out: MdNode[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) {
      i++;
      continue;
    }
    // Fenced code: kept verbatim, as text.
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1];
      const body: string[] = [];
      i++;
      while (i < lines.length && !(lines[i].trimStart().startsWith(marker) && lines[i].trim().replace(new RegExp(`^\\${marker[0]}+`), "") === "")) body.push(lines[i++]);
      i++;
      out.push(el("pre", [el("code", [body.join("\n")])]));
      continue;
    }
    // Indented code.
    if (indentOf(line) >= 4) {
      const body: string[] = [];
      while (i < lines.length && (indentOf(lines[i]) >= 4 || isBlank(lines[i]))) body.push(lines[i++].slice(4));
      while (body.length && isBlank(body[body.length - 1])) body.pop();
      out.push(el("pre", [el("code", [body.join("\n")])]));
      continue;
    }
    // Raw HTML is never rendered. <script>, <style>… end at their closing tag, the
    // rest at a blank line, as in CommonMark.
    const raw = RAW_TEXT.exec(line);
    if (raw) {
      const close = `</${raw[1].toLowerCase()}`;
      while (i < lines.length && !lines[i].toLowerCase().includes(close)) i++;
      i++;
      continue;
    }
    if (/^ {0,3}<!--/.test(line)) {
      while (i < lines.length && !lines[i].includes("-->")) i++;
      i++;
      continue;
    }
    if (HTML_START.test(line)) {
      while (i < lines.length && !isBlank(lines[i])) i++;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      out.push(el(headingTag(heading[1].length), parseInline(headingText(heading[2]), ctx)));
      i++;
      continue;
    }
    if (RULE.test(line)) {
      out.push(el("hr", []));
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && !isBlank(lines[i]) && (QUOTE.test(lines[i]) || !startsBlock(lines[i]))) body.push(lines[i++].replace(QUOTE, ""));
      out.push(el("blockquote", parseBlocks(body, { ...ctx, depth: ctx.depth + 1 })));
      continue;
    }
    const marker = listMarker(line);
    if (marker) {
      i = parseList(lines, i, marker.ordered, out, ctx);
      continue;
    }
    // A table: a header row, then a separator row.
    if (line.includes("|") && i + 1 < lines.length && isTableSeparator(lines[i + 1])) {
      const head = splitRow(line);
      const rows: string[][] = [];
      i += 2;
      while (i < lines.length && !isBlank(lines[i]) && lines[i].includes("|")) rows.push(splitRow(lines[i++]));
      const cells = (row: string[], tag: "th" | "td") => head.map((_, c) => el(tag, parseInline(row[c] ?? "", ctx)));
      out.push(el("table", [el("thead", [el("tr", cells(head, "th"))]), ...(rows.length ? [el("tbody", rows.map((r) => el("tr", cells(r, "td"))))] : [])]));
      continue;
    }
    // A paragraph, or a heading underlined with === or ---.
    const body: string[] = [];
    while (i < lines.length && !isBlank(lines[i]) && (body.length === 0 || !startsBlock(lines[i]) || /^ {0,3}(=+|-+)\s*$/.test(lines[i]))) {
      const underline = /^ {0,3}(=+|-+)\s*$/.exec(lines[i]);
      if (underline && body.length > 0) {
        out.push(el(headingTag(underline[1][0] === "=" ? 1 : 2), parseInline(body.join("\n"), ctx)));
        body.length = 0;
        i++;
        break;
      }
      body.push(lines[i++]);
    }
    if (body.length) out.push(el("p", parseInline(body.join("\n").trim(), ctx)));
  }
  return out;
}

/** The page already has h1 (the app) and h2 (the image): a description's # is an h3. */
function headingTag(level: number): MdTag {
  return (["h3", "h3", "h4", "h5", "h6", "h6"] as const)[level - 1];
}

function parseList(lines: string[], start: number, ordered: boolean, out: MdNode[], ctx: Ctx): number {
  const items: MdNode[] = [];
  let i = start;
  let first = 1;
  while (i < lines.length) {
    const marker = listMarker(lines[i]);
    if (!marker || marker.ordered !== ordered) break;
    if (items.length === 0) first = marker.start;
    const body = [lines[i].slice(marker.width)];
    i++;
    // The item goes on while lines are indented under it, or are lazy paragraph continuations.
    while (i < lines.length) {
      const next = lines[i];
      if (isBlank(next)) {
        if (i + 1 < lines.length && indentOf(lines[i + 1]) >= marker.width) {
          body.push("");
          i++;
          continue;
        }
        break;
      }
      if (indentOf(next) >= marker.width) body.push(next.slice(marker.width));
      else if (!startsBlock(next) && !isBlank(body[body.length - 1])) body.push(next);
      else break;
      i++;
    }
    const blocks = parseBlocks(body, { ...ctx, depth: ctx.depth + 1 });
    // Tight items read as text, not as paragraphs.
    const tight = blocks.flatMap((b) => (typeof b !== "string" && b.tag === "p" && !body.includes("") ? b.children : [b]));
    items.push(el("li", tight));
    while (i < lines.length && isBlank(lines[i]) && i + 1 < lines.length && listMarker(lines[i + 1])?.ordered === ordered) i++;
  }
  out.push(el(ordered ? "ol" : "ul", items, ordered && first !== 1 ? { start: String(first) } : undefined));
  return i;
}

function splitRow(line: string): string[] {
  let row = line.trim();
  if (row.startsWith("|")) row = row.slice(1);
  if (row.endsWith("|") && !row.endsWith("\\|")) row = row.slice(0, -1);
  const cells: string[] = [];
  let cell = "";
  for (let i = 0; i < row.length; i++) {
    if (row[i] === "\\" && row[i + 1] === "|") {
      cell += "|";
      i++;
    } else if (row[i] === "|") {
      cells.push(cell.trim());
      cell = "";
    } else cell += row[i];
  }
  cells.push(cell.trim());
  return cells;
}

/** `[label]: https://… "title"` lines are link definitions, not text. */
function readDefinition(line: string, refs: Ctx["refs"]): boolean {
  const m = /^ {0,3}\[([^\]]{1,200})\]:/.exec(line);
  if (!m) return false;
  const rest = line.slice(m[0].length).trim();
  if (rest === "") return false;
  const space = rest.search(/\s/);
  const url = space < 0 ? rest : rest.slice(0, space);
  const quoted = space < 0 ? "" : rest.slice(space).trim();
  const title = /^["'(]/.test(quoted) && /["')]$/.test(quoted) ? quoted.slice(1, -1) : "";
  if (quoted !== "" && title === "") return false;
  const key = m[1].trim().toLowerCase();
  const href = safeUrl(url);
  if (!refs.has(key)) refs.set(key, href ? { href, ...(title ? { title } : {}) } : { href: "" });
  return true;
}

// --- inline -------------------------------------------------------------------------------

const ESCAPABLE = "\\`*_{}[]()#+-.!|<>~\"'";

function parseInline(text: string, ctx: Ctx, inLink = false): MdNode[] {
  const out: MdNode[] = [];
  let buffer = "";
  const flush = () => {
    if (buffer) out.push(buffer);
    buffer = "";
  };
  const push = (node: MdNode | MdNode[]) => {
    flush();
    for (const n of Array.isArray(node) ? node : [node]) {
      if (typeof n === "string" && typeof out[out.length - 1] === "string") out[out.length - 1] += n;
      else out.push(n);
    }
  };
  const deeper = { ...ctx, depth: ctx.depth + 1 };
  // Searches that failed once fail again from further on: remembered, so hostile text
  // full of unmatched delimiters stays linear.
  const failed = new Map<string, number>();
  let nextGt = -2;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "\\" && i + 1 < text.length) {
      if (text[i + 1] === "\n") {
        push(el("br", []));
        i += 2;
      } else if (ESCAPABLE.includes(text[i + 1])) {
        buffer += text[i + 1];
        i += 2;
      } else {
        buffer += c;
        i++;
      }
      continue;
    }
    if (c === "\n") {
      // Two trailing spaces make a hard break; otherwise a line end is a space.
      if (buffer.endsWith("  ")) {
        buffer = buffer.trimEnd();
        push(el("br", []));
      } else {
        buffer = buffer.trimEnd() + " ";
      }
      i++;
      continue;
    }
    if (c === "`") {
      let run = 1;
      while (text[i + run] === "`") run++;
      const fence = "`".repeat(run);
      const end = (failed.get(fence) ?? Infinity) <= i ? -1 : findRun(text, fence, i + run);
      if (end < 0) failed.set(fence, Math.min(failed.get(fence) ?? Infinity, i));
      if (end >= 0) {
        let code = text.slice(i + run, end).replace(/\n/g, " ");
        if (code.length > 2 && code.startsWith(" ") && code.endsWith(" ")) code = code.slice(1, -1);
        push(el("code", [code]));
        i = end + run;
      } else {
        buffer += fence;
        i += run;
      }
      continue;
    }
    if (c === "<") {
      if (nextGt !== -1 && nextGt < i) nextGt = text.indexOf(">", i);
      const close = nextGt;
      const inside = close > 0 ? text.slice(i + 1, close) : "";
      const autolink = /^https?:\/\/[^\s<>]+$/i.test(inside) ? safeUrl(inside) : null;
      if (autolink && !inLink) {
        push(el("a", [inside], { href: autolink }));
        i = close + 1;
        continue;
      }
      // Inline HTML tags are dropped; their text content stays, as text.
      if (close > 0 && /^(\/?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?\/?|!--[\s\S]*--)$/.test(inside)) {
        i = close + 1;
        continue;
      }
      buffer += c;
      i++;
      continue;
    }
    if (c === "!" && text[i + 1] === "[") {
      const link = readLink(text, i + 1, ctx);
      if (link) {
        const label = link.label.trim() || "image";
        // Pictures are not loaded: a link to them, or just the alt text inside a link.
        push(inLink || !link.href ? [label] : [el("a", [label], { href: link.href, ...(link.title ? { title: link.title } : {}) })]);
        i = link.end;
        continue;
      }
    }
    if (c === "[" && !inLink) {
      const link = readLink(text, i, ctx);
      if (link) {
        const children = parseInline(link.label, deeper, true);
        push(link.href ? el("a", children, { href: link.href, ...(link.title ? { title: link.title } : {}) }) : children);
        i = link.end;
        continue;
      }
    }
    if ((c === "*" || c === "_" || c === "~") && ctx.depth < MAX_DEPTH) {
      let run = 1;
      while (text[i + run] === c) run++;
      const before = i > 0 ? text[i - 1] : " ";
      const after = text[i + run] ?? " ";
      const canOpen = !/\s/.test(after) && !(c === "_" && /[\p{L}\p{N}]/u.test(before));
      const size = c === "~" ? (run === 2 ? 2 : 0) : Math.min(run, 2);
      if (canOpen && size > 0) {
        const delim = c.repeat(size);
        const end = (failed.get(delim) ?? Infinity) <= i ? -1 : findClosing(text, delim, i + size, c);
        if (end < 0) failed.set(delim, Math.min(failed.get(delim) ?? Infinity, i));
        if (end > i + size) {
          const tag: MdTag = c === "~" ? "del" : size === 2 ? "strong" : "em";
          push(el(tag, parseInline(text.slice(i + size, end), deeper, inLink)));
          i = end + size;
          continue;
        }
      }
      buffer += text.slice(i, i + run);
      i += run;
      continue;
    }
    if (!inLink && (c === "h" || c === "H") && /^https?:\/\//i.test(text.slice(i, i + 8)) && !/[\p{L}\p{N}]/u.test(i > 0 ? text[i - 1] : " ")) {
      let end = i;
      while (end < text.length && !/[\s<>]/.test(text[end])) end++;
      while (end > i && /[.,;:!?'")\]*_]/.test(text[end - 1])) end--;
      const raw = text.slice(i, end);
      const href = safeUrl(raw);
      if (href) {
        push(el("a", [raw], { href }));
        i = end;
        continue;
      }
    }
    buffer += c;
    i++;
  }
  flush();
  return out;
}

function findRun(text: string, fence: string, from: number): number {
  let at = text.indexOf(fence, from);
  while (at >= 0) {
    if (text[at + fence.length] !== "`" && text[at - 1] !== "`") return at;
    let skip = at;
    while (text[skip] === "`") skip++;
    at = text.indexOf(fence, skip);
  }
  return -1;
}

/** The closing delimiter: not preceded by whitespace, and (for _) not inside a word. */
function findClosing(text: string, delim: string, from: number, c: string): number {
  let at = text.indexOf(delim, from);
  while (at >= 0) {
    const before = text[at - 1];
    const after = text[at + delim.length] ?? " ";
    // A single * does not close inside a ** run.
    if (delim.length === 1 && (before === c || after === c)) {
      let k = at;
      while (text[k] === c) k++;
      at = text.indexOf(delim, k);
      continue;
    }
    if (!/\s/.test(before) && (c !== "_" || !/[\p{L}\p{N}]/u.test(after))) return at;
    at = text.indexOf(delim, at + 1);
  }
  return -1;
}

/** `[label](url "title")`, `[label][ref]`, `[label][]` or `[label]` with a definition. */
function readLink(text: string, open: number, ctx: Ctx): { label: string; href: string | null; title?: string; end: number } | null {
  let depth = 0;
  let close = -1;
  for (let k = open; k < text.length && k < open + 500; k++) {
    if (text[k] === "\\") {
      k++;
      continue;
    }
    if (text[k] === "[") depth++;
    else if (text[k] === "]" && --depth === 0) {
      close = k;
      break;
    }
  }
  if (close < 0) return null;
  const label = text.slice(open + 1, close);
  if (text[close + 1] === "(") {
    let k = close + 2;
    let parens = 1;
    while (k < text.length && k < close + 4000) {
      if (text[k] === "\\") k++;
      else if (text[k] === "(") parens++;
      else if (text[k] === ")" && --parens === 0) break;
      k++;
    }
    if (parens !== 0) return null;
    const inside = text.slice(close + 2, k).trim();
    const m = /^(<[^>]*>|\S+)(?:\s+["'(]([\s\S]*)["')])?$/.exec(inside);
    const href = m ? safeUrl(m[1]) : null;
    return { label, href, ...(m?.[2] ? { title: m[2] } : {}), end: k + 1 };
  }
  let key = label;
  let end = close + 1;
  if (text[close + 1] === "[") {
    const refEnd = text.indexOf("]", close + 2);
    if (refEnd > 0) {
      const named = text.slice(close + 2, refEnd);
      if (named.trim()) key = named;
      end = refEnd + 1;
    }
  }
  const ref = ctx.refs.get(key.trim().toLowerCase());
  if (!ref) return null;
  return { label, href: ref.href || null, ...(ref.title ? { title: ref.title } : {}), end };
}
