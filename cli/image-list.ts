// The images one `dockerdl pull` writes: references on the command line, and those read
// from `-f` files — a Compose file (compose.yaml; each service's platform kept) or a
// plain list (one reference per line, # comments, blank lines). Duplicates are dropped:
// a bundle holds each image once.

import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { DockerdlError } from "../shared/errors.ts";
import { isSystemError } from "./file-errors.ts";
import { bundleFileName as bundleFileNameOf, isComposeFile, readImageList } from "../shared/image-list.ts";
import { readAtMost } from "./capped-read.ts";
import { composeImages, readDotEnv } from "./compose.ts";

export interface ImageRequest {
  reference: string;
  /** As written (a Compose service's `platform:`); absent: the command's --platform or the default. */
  platform?: string;
  /** Where it came from, for messages: "the command line", "compose.yaml, service web", "images.txt line 3". */
  origin: string;
}

/** Image lists are a few kilobytes; anything this large is the wrong file. */
export const LIST_LIMIT = 1 << 20;

export async function gatherImages(references: readonly string[], files: readonly string[], notes: (text: string) => void): Promise<ImageRequest[]> {
  const requests: ImageRequest[] = references.map((reference) => ({ reference, origin: "the command line" }));
  for (const file of files) requests.push(...(await readImageFile(file, notes)));
  const seen = new Set<string>();
  return requests.filter((r) => {
    const key = `${r.reference}\0${r.platform ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

async function readImageFile(file: string, notes: (text: string) => void): Promise<ImageRequest[]> {
  const text = await readText(file);
  if (isComposeFile(file, text)) {
    const { images, builtOnly } = composeImages(text, file, process.env, await readDotEnv(file, LIST_LIMIT));
    if (builtOnly.length > 0) notes(`${file}: skipping ${builtOnly.join(", ")} (built from source, no image: to download)`);
    if (images.length === 0) {
      throw new DockerdlError("BAD_IMAGE_LIST", `${file} names no image: none of its services has an "image:"`, { hint: "images built from source (build:) cannot be downloaded; build them where Docker runs" });
    }
    return images.map((i) => ({ reference: i.image, ...(i.platform === undefined ? {} : { platform: i.platform }), origin: `${file}, service ${i.service}` }));
  }
  const { images, problems } = readImageList(text, file);
  if (problems[0]) throw problems[0];
  const out: ImageRequest[] = images.map((i) => ({ reference: i.reference, origin: `${file} line ${i.line}` }));
  if (out.length === 0) throw new DockerdlError("BAD_IMAGE_LIST", `${file} names no image`, { hint: "write one image reference per line, e.g. ubuntu:22.04" });
  return out;
}

async function readText(file: string): Promise<string> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new DockerdlError("USAGE", `-f ${file} is a folder`, { hint: "give a compose file or a list of images, e.g. -f compose.yaml" });
    // The read is capped, not the size stat gives: a FIFO or /dev/zero says 0.
    const { bytes, tooLarge } = await readAtMost(file, LIST_LIMIT);
    if (tooLarge) throw new DockerdlError("USAGE", `-f ${file} is over the 1 MiB limit; an image list or compose file is expected`, { hint: "check the file name" });
    return bytes.toString("utf8");
  } catch (error) {
    if (error instanceof DockerdlError) throw error;
    if (isSystemError(error) && error.code === "ENOENT") {
      throw new DockerdlError("USAGE", `-f ${file}: no such file`, { hint: "check the file name and the folder you run dockerdl in" });
    }
    throw new DockerdlError("USAGE", `cannot read -f ${file}: ${error instanceof Error ? error.message : String(error)}`, { hint: "check the file's name and permissions" });
  }
}

/** The default output name for a bundle: after the one -f file, else bundle.tar. */
export function bundleFileName(files: readonly string[], references: readonly string[]): string {
  return bundleFileNameOf(files.length === 1 && references.length === 0 ? basename(files[0]) : undefined);
}
