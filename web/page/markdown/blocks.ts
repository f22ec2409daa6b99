// Markdown's block structure, line by line: fenced and indented code, headings
// (# and underlined), rules, block quotes, lists, tables, paragraphs, link
// definitions. Raw HTML blocks are skipped whole, never rendered. Text inside blocks
// goes to inline.ts.
import { parseInline } from "./inline.ts";
import { MAX_DEPTH, el, type Ctx, type MdNode, type MdTag } from "./tree.ts";
import { safeUrl } from "./url.ts";

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

export function parseBlocks(lines: string[], ctx: Ctx): MdNode[] {
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
export function readDefinition(line: string, refs: Ctx["refs"]): boolean {
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
