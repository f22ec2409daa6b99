// What a Bundle form lists, before anything is looked up: the references typed into the
// box (one a line, # comments) and those of a picked file (a Compose file's services with
// their platforms, or a plain list), each with where it came from, and the problems of
// each line or service, read by shared/'s own parsers as the CLI's -f reads them. The
// browser has no environment, so Compose variables take their defaults (strict mode).
// An image listed twice (same reference and platform) is kept once, as the CLI keeps it.

import { composeImages } from "../../../../shared/compose.ts";
import { bundleFileName, isComposeFile, readImageList } from "../../../../shared/image-list.ts";
import { parseReference } from "../../../../shared/reference.ts";
import { errorInfoOf, type ErrorInfo } from "../../../lib/errors.ts";

/** Where a row came from: a line of the box, a line of a list file, or a Compose service. */
export type RowOrigin = { line: number; file?: string } | { file: string; service: string };

export interface BundleRow {
  origin: RowOrigin;
  reference: string;
  /** As written for this image (a Compose service's); absent: the form's platform. */
  platform?: string;
  error?: ErrorInfo;
}

/** A file the person picked or dropped, as read; or a bundle from history, with its platforms. */
export type BundleFile = { name: string; text: string } | { name: string; images: { reference: string; platform: string }[] };

export interface BundleRows {
  rows: BundleRow[];
  /** What stops the file being read at all (not YAML, no services…). */
  fileError?: ErrorInfo;
  /** Compose services with no image (only build:), skipped. */
  builtOnly: string[];
  fileName: string;
}

/** The box's label in messages: the lines are its own, so it names no file. */
const BOX = "the list";

export function bundleRows(text: string, file: BundleFile | undefined): BundleRows {
  const rows: BundleRow[] = [];
  const fromList = (listText: string, name: string | undefined) => {
    const { images, problems } = readImageList(listText, name ?? BOX);
    for (const problem of problems) {
      const line = Number(problem.params?.line);
      rows.push({ origin: { line, ...(name === undefined ? {} : { file: name }) }, reference: problem.params?.text ?? "", error: errorInfoOf(problem) });
    }
    for (const image of images) rows.push({ origin: { line: image.line, ...(name === undefined ? {} : { file: name }) }, reference: image.reference });
  };
  fromList(text, undefined);
  // A bundle from history keeps its file's name; a picked file names the bundle after itself.
  const only = file && text.trim() === "" ? file : undefined;
  const out: BundleRows = { rows, builtOnly: [], fileName: only && "images" in only ? only.name : bundleFileName(only?.name) };
  if (file && "images" in file) {
    file.images.forEach((image, i) => rows.push({ origin: { line: i + 1, file: file.name }, reference: image.reference, platform: image.platform }));
  } else if (file && isComposeFile(file.name, file.text)) {
    try {
      const found = composeImages(file.text, file.name, {}, { strict: true });
      out.builtOnly = found.builtOnly;
      for (const image of found.images) {
        rows.push({ origin: { file: file.name, service: image.service }, reference: image.image, ...(image.platform === undefined ? {} : { platform: image.platform }) });
      }
    } catch (error) {
      out.fileError = errorInfoOf(error);
    }
  } else if (file) {
    fromList(file.text, file.name);
  }
  out.rows = dropRepeats(sortByOrigin(rows)).map(checked);
  return out;
}

/** Box lines first, then the file's, each in line order (problems were gathered apart). */
function sortByOrigin(rows: BundleRow[]): BundleRow[] {
  const rank = (r: BundleRow) => ("file" in r.origin && r.origin.file !== undefined ? 1 : 0);
  const line = (r: BundleRow) => ("line" in r.origin ? r.origin.line : 0);
  return rows.map((row, i) => ({ row, i })).sort((a, b) => rank(a.row) - rank(b.row) || line(a.row) - line(b.row) || a.i - b.i).map((x) => x.row);
}

function dropRepeats(rows: BundleRow[]): BundleRow[] {
  const seen = new Set<string>();
  return rows.filter((row) => {
    if (row.error) return true;
    const key = `${row.reference}\0${row.platform ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A reference the shared parser refuses is that row's problem, in its words. */
function checked(row: BundleRow): BundleRow {
  if (row.error) return row;
  try {
    parseReference(row.reference);
    return row;
  } catch (error) {
    return { ...row, error: errorInfoOf(error) };
  }
}
