// Headless Chromium for the end-to-end tests: Debian's chromium driven by
// playwright-core, in a persistent profile (incognito keeps OPFS in memory and calls
// the PWA not installable), with the save picker replaced by one that returns an OPFS
// file (a headless browser cannot answer the real one), and console errors collected.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export interface Browser {
  context: BrowserContext;
  profile: string;
  downloads: string;
  /** Console errors and uncaught exceptions from every page, worker and service worker. */
  errors: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Replaces showSaveFilePicker with one that creates the suggested file in OPFS. */
export const OPFS_PICKER = `
  window.showSaveFilePicker = async (options = {}) => {
    const root = await navigator.storage.getDirectory();
    const name = options.suggestedName || "image.tar";
    window.__pickedFiles = [...(window.__pickedFiles || []), name];
    return root.getFileHandle(name, { create: true });
  };
`;

export interface LaunchOptions {
  viewport?: { width: number; height: number };
  locale?: string;
  /** "block" keeps the service worker out, so context.route sees the worker's requests. */
  serviceWorkers?: "allow" | "block";
}

export async function launch(options: LaunchOptions = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "dockerdl-chromium-"));
  const downloads = join(profile, "downloads");
  const context = await chromium.launchPersistentContext(join(profile, "user-data"), {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    downloadsPath: downloads,
    viewport: options.viewport ?? { width: 1280, height: 900 },
    locale: options.locale ?? "en-US",
    serviceWorkers: options.serviceWorkers ?? "allow",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const errors: string[] = [];
  const watch = (page: Page) => {
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(`${page.url()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => errors.push(`${page.url()}: ${error.message}`));
  };
  context.on("page", watch);
  for (const page of context.pages()) watch(page);
  await context.addInitScript(OPFS_PICKER);
  return {
    context,
    profile,
    downloads,
    errors,
    newPage: async () => context.pages()[0] ?? context.newPage(),
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The bytes of a file the OPFS picker created (through the DevTools protocol: for big files, saveOpfsFile). */
export async function readOpfsFile(page: Page, name: string): Promise<Buffer> {
  const base64 = await page.evaluate(async (fileName) => {
    const root = await navigator.storage.getDirectory();
    const file = await (await root.getFileHandle(fileName)).getFile();
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(binary);
  }, name);
  return Buffer.from(base64, "base64");
}

/**
 * Copies OPFS file `name` out to `to` as a browser download of it (a blob: URL): the
 * browser writes the bytes itself, where readOpfsFile's base64 through the DevTools
 * protocol took about 23 s for 128 MiB.
 */
export async function saveOpfsFile(page: Page, name: string, to: string): Promise<void> {
  const started = page.waitForEvent("download", { timeout: 30_000 });
  const url = await page.evaluate(async (fileName) => {
    const file = await (await (await navigator.storage.getDirectory()).getFileHandle(fileName)).getFile();
    const link = document.createElement("a");
    link.href = URL.createObjectURL(file);
    link.download = fileName;
    link.click();
    return link.href;
  }, name);
  const download = await started;
  await download.saveAs(to);
  const failure = await download.failure();
  if (failure !== null) throw new Error(`copying ${name} out of OPFS failed: ${failure}`);
  await page.evaluate((href) => URL.revokeObjectURL(href), url);
}
