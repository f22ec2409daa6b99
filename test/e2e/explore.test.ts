// The explore view end to end in headless Chromium against the harness Worker: open
// test/layers:v1 (layers that add, overwrite, whiteout-delete and opaque-replace files,
// with symlinks and a hardlink), browse the merged tree, search it, extract a file and
// a folder, and export the flattened filesystem as a ZIP and a tar, through the OPFS
// picker and through the service worker's stream. Everything is compared with what
// `umoci unpack` makes of the same image.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, } from "vitest";
import { worker } from "../harness/injected.ts";
import { haveUmoci, readZip, sorted, walk, type Snapshot } from "../harness/rootfs-snapshot.ts";
import { waitForServiceWorker } from "./app-page.ts";
import { test } from "./browser-test.ts";
import { readOpfsFile } from "./browser.ts";
import { RESULTS } from "./files.ts";

const BASE = "test_layers_v1_linux_amd64-rootfs";

async function expandAll(page: Page): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const closed = await page.$("[data-testid=tree] li[aria-expanded=false]");
    if (!closed) return;
    const path = await closed.getAttribute("data-path");
    await page.click(`[data-testid=tree] li[data-path="${path}"] > .row > button.toggle`);
    await page.waitForSelector(`[data-testid=tree] li[data-path="${path}"] > ul[role=group] > li`);
  }
  throw new Error("the tree kept offering folders to open");
}

async function treeRows(page: Page): Promise<Record<string, { type: string; size: number; mode: number; link?: string; layer: number }>> {
  return page.$$eval("[data-testid=tree] li[role=treeitem]", (items) =>
    Object.fromEntries(items.map((li) => {
      const d = (li as HTMLElement).dataset;
      return [d.path!, { type: d.type!, size: Number(d.size), mode: parseInt(d.mode!, 8), layer: Number(d.layer), ...(d.link === undefined ? {} : { link: d.link }) }];
    })),
  );
}

async function download(page: Page, click: () => Promise<void>, file: string): Promise<Buffer> {
  const started = page.waitForEvent("download", { timeout: 30_000 });
  await click();
  const event = await started;
  const path = join(RESULTS, file);
  await event.saveAs(path);
  expect(await event.failure()).toBeNull();
  return readFileSync(path);
}

async function savedTo(page: Page, fileName: string): Promise<{ fetched: string | null }> {
  const row = await page.waitForSelector(`.save[data-file="${fileName}"][data-status=done], .save[data-file="${fileName}"][data-status=failed]`, { timeout: 30_000 });
  expect(await row.getAttribute("data-status"), (await row.textContent()) ?? "").toBe("done");
  return { fetched: await row.getAttribute("data-fetched") };
}

// The tests run in order on the file's one page: each starts where the one before left it.
describe.skipIf(!haveUmoci)("exploring an image's files in the browser", () => {
  test("reads the layers and shows the merged tree, whiteouts applied, with modes, links and layers, as umoci unpacks it", async ({ page, layersUnpacked: { expected } }) => {
    await page.goto(`${worker}/#/explore`);
    await page.fill("#explore-reference", "test/layers:v1");
    await page.waitForSelector("[data-testid=explore-single-platform]", { timeout: 20_000 });
    await page.click("[data-testid=browse]");
    await page.waitForSelector("[data-testid=tree] li[data-path=etc]", { timeout: 30_000 });
    expect(page.url()).toContain("#/explore?image=test%2Flayers%3Av1");
    await expandAll(page);
    const rows = await treeRows(page);

    // The cases the fixture exists for, spelled out.
    expect(rows["etc/remove-me"]).toBeUndefined();
    expect(Object.keys(rows).filter((p) => p.startsWith("opt/app/"))).toEqual(["opt/app/new.txt"]);
    expect(rows["var/cache/fresh.txt"]).toMatchObject({ type: "file", layer: 3 });
    expect(rows["var/cache/big.bin"]).toBeUndefined();
    expect(rows["var/cache"]).toMatchObject({ type: "directory", mode: 0o700 });
    expect(rows["usr/bin/tool-link"]).toMatchObject({ type: "symlink", link: "tool", layer: 2 });
    expect(rows["usr/bin/tool-hard"]).toMatchObject({ type: "hardlink", link: "usr/bin/tool", mode: 0o750 });
    expect(rows["etc/os-release"]).toMatchObject({ type: "file", layer: 2, size: "NAME=fixture\nVERSION=2\n".length });
    expect(rows["etc/keep.conf"]).toMatchObject({ layer: 1, mode: 0o600 });
    expect(rows["etc/absolute-link"]).toMatchObject({ type: "symlink", link: "/etc/os-release", layer: 3 });
    expect(await page.textContent("li[data-path='usr/bin/tool'] > .row .mode")).toBe("-rwxr-x---");
    expect(await page.textContent("li[data-path='var/cache'] > .row .mode")).toBe("drwx------");

    // The whole tree equals umoci's unpack: paths, types, sizes, modes, link targets.
    const fromTree: Snapshot = {};
    for (const [path, row] of Object.entries(rows)) {
      if (row.type === "directory") fromTree[path] = { type: "directory", mode: row.mode };
      else if (row.type === "symlink") fromTree[path] = { type: "symlink", mode: 0o777, target: row.link! };
      else fromTree[path] = { type: "file", mode: row.mode, size: row.size };
    }
    const withoutContent = Object.fromEntries(Object.entries(expected).map(([p, { sha256: _, ...rest }]) => [p, rest]));
    expect(sorted(fromTree)).toEqual(sorted(withoutContent));
  });

  test("finds a file by path and shows it with its folders", async ({ page }) => {
    await page.fill("#explore-search", "fresh");
    await page.waitForSelector("[data-testid=search-results] li[data-path='var/cache/fresh.txt']");
    const paths = await page.$$eval("[data-testid=search-results] li", (items) => items.map((li) => (li as HTMLElement).dataset.path));
    expect(paths).toEqual(["var", "var/cache", "var/cache/fresh.txt"]);
    expect(await page.getAttribute("[data-testid=search-results] li[data-path='var/cache/fresh.txt']", "class")).toBe("match");
    await page.fill("#explore-search", "");
    await page.waitForSelector("[data-testid=tree]");
  });

  test("extracts one file, a hardlinked file and a folder, each with umoci's content", async ({ page, tempDir, layersUnpacked: { expected } }) => {
    const osRelease = await download(page, () => page.click("button[aria-label='Download etc/os-release']"), "explore-os-release");
    expect(osRelease.toString()).toBe("NAME=fixture\nVERSION=2\n");
    const hard = await download(page, () => page.click("button[aria-label='Download usr/bin/tool-hard']"), "explore-tool-hard");
    expect(hard.toString()).toBe("#!/bin/sh\necho tool v2\n");
    const zip = await download(page, () => page.click("button[aria-label='Download the folder opt as a ZIP']"), "explore-opt.zip");
    const file = join(tempDir, "opt.zip");
    writeFileSync(file, zip);
    const entries = readZip(file);
    expect(Object.keys(entries).sort()).toEqual(["opt", "opt/app", "opt/app/new.txt"]);
    expect(entries["opt/app/new.txt"].sha256).toBe(expected["opt/app/new.txt"].sha256);
  });

  test("exports the flattened filesystem as a ZIP through the save picker, from cached layers", async ({ page, layersUnpacked: { expected } }) => {
    await page.click("[data-testid=export-zip]");
    const { fetched } = await savedTo(page, `${BASE}.zip`);
    expect(fetched).toBe("0");
    const file = join(RESULTS, "explore-rootfs.zip");
    writeFileSync(file, await readOpfsFile(page, `${BASE}.zip`));
    const fromZip = readZip(file);
    expect(sorted(fromZip)).toEqual(sorted(expected));
    if (existsSync("/usr/bin/unzip")) execFileSync("unzip", ["-tq", file], { stdio: "pipe" });
  });

  test("exports it as a tar, through the picker and through the service worker's stream, the same bytes both ways", async ({ page, tempDir, layersUnpacked: { expected } }) => {
    await page.click("[data-testid=export-tar]");
    await savedTo(page, `${BASE}.tar`);
    const tar = await readOpfsFile(page, `${BASE}.tar`);
    const file = join(RESULTS, "explore-rootfs.tar");
    writeFileSync(file, tar);
    const out = join(tempDir, "from-tar");
    mkdirSync(out);
    execFileSync("tar", ["-xpf", file, "-C", out, "--no-same-owner"], { stdio: "pipe" });
    expect(sorted(walk(out))).toEqual(sorted(expected));

    // Without showSaveFilePicker (Firefox, Safari) the service worker streams it.
    await waitForServiceWorker(page);
    await page.evaluate(() => {
      delete (window as { showSaveFilePicker?: unknown }).showSaveFilePicker;
    });
    await page.click(`.save[data-file="${BASE}.tar"] button`);
    const streamed = await download(page, () => page.click("[data-testid=export-tar]"), "explore-rootfs-streamed.tar");
    expect(streamed.equals(tar)).toBe(true);
    await savedTo(page, `${BASE}.tar`);
  });

  test("lays out at 390 and 1280 px without console errors", async ({ browser, page }) => {
    await page.fill("#explore-search", "");
    await page.waitForSelector("[data-testid=tree] li[data-path='var/cache/fresh.txt']");
    for (const width of [390, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: join(RESULTS, `explore-${width}.png`), fullPage: true });
    }
    expect(browser.errors).toEqual([]);
  });
});
