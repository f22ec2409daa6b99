// Markdown inside a block: code spans, emphasis, strikethrough, links and link
// references, autolinks and bare URLs, hard breaks, escapes. Inline HTML tags are
// dropped (their text stays), pictures become links to them. Searches that failed are
// remembered, so text full of unmatched delimiters stays linear.
import { MAX_DEPTH, el, type Ctx, type MdNode, type MdTag } from "./tree.ts";
import { safeUrl } from "./url.ts";

const ESCAPABLE = "\\`*_{}[]()#+-.!|<>~\"'";

export function parseInline(text: string, ctx: Ctx, inLink = false): MdNode[] {
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

