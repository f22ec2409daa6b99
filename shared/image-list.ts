// A plain list of images, as `dockerdl pull -f images.txt` and the app's Bundle box read
// it: one reference per line, # comments and blank lines skipped. A line of more than one
// word is a problem of that line; the caller decides whether the first one stops it all
// (the CLI) or every line's is shown (the app). Also what tells a list from a Compose
// file, and a bundle's default file name.

import { DockerdlError } from "./errors.ts";

export interface ListedImage {
  reference: string;
  /** 1-based, as editors count. */
  line: number;
}

export interface ImageList {
  images: ListedImage[];
  /** BAD_IMAGE_LIST errors, one a bad line, in line order. */
  problems: DockerdlError[];
}

export function readImageList(text: string, file: string): ImageList {
  const out: ImageList = { images: [], problems: [] };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (line === "") return;
    if (/\s/.test(line)) {
      out.problems.push(new DockerdlError("BAD_IMAGE_LIST", `${file} line ${i + 1} holds more than one word: ${JSON.stringify(line)}`, {
        hint: "write one image reference per line", key: "BAD_IMAGE_LIST.words", params: { file, line: String(i + 1), text: line },
      }));
      return;
    }
    out.images.push({ reference: line, line: i + 1 });
  });
  return out;
}

/** A Compose file by its name (.yaml, .yml) or a top-level `services:` key; else a plain list. */
export function isComposeFile(file: string, text: string): boolean {
  return /\.ya?ml$/i.test(file) || /^services\s*:/m.test(text);
}

/** A bundle's default file name: after the one file it came from (`baseName`, no folder), else bundle.tar. */
export function bundleFileName(baseName?: string): string {
  if (baseName !== undefined) {
    const base = baseName.replace(/\.(ya?ml|txt|list)$/i, "").replace(/[^A-Za-z0-9._-]/g, "_").replace(/^[._-]+/, "");
    if (base !== "") return `${base}.tar`;
  }
  return "bundle.tar";
}
