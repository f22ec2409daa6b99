// Parses a client's Range header for answers from the cache. Only a single byte range
// is honoured (all a registry client sends); anything else gets the whole blob, which
// RFC 9110 allows.

/** The part of a cached blob an answer serves, in the {offset, length} form R2 reads take. */
export type ServedRange = { offset: number; length: number };

/** The range to serve, null for the whole object, "unsatisfiable" for a 416. */
export function parseRange(header: string | null, size: number): ServedRange | null | "unsatisfiable" {
  if (!header) return null;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match || (match[1] === "" && match[2] === "")) return null;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return "unsatisfiable";
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const first = Number(match[1]);
  if (first >= size) return "unsatisfiable";
  const last = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (last < first) return null;
  return { offset: first, length: last - first + 1 };
}

export function contentRange(range: ServedRange, size: number): string {
  return `bytes ${range.offset}-${range.offset + range.length - 1}/${size}`;
}
