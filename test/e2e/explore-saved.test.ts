// The explorer reads layers from an image tar this browser saved, end to end in headless
// Chromium against the harness Worker: download test/layers:v1 through File System
// Access (an OPFS file stands in for the picker), then browse the same image: no layer
// blob reaches the network, the layer list names the saved file, and the tree is right.
// Then the saved file is corrupted (and, after a second download, truncated): a file
// extracted from the image still open comes from the network, and, with the explorer's
// Cache API copies cleared, browsing again falls back to the network with the same
// tree and forgets the stale record.
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, } from "vitest";
import { fixtureImage, worker } from "../harness/injected.ts";
import { clickDownload, openApp, saveWith, typeReference, waitForJobEnd, waitForSummary } from "./app-page.ts";
import { browserTest } from "./browser-test.ts";

const fixture = fixtureImage("test/layers");
const FILE = "test_layers_v1_linux_amd64.tar";

interface SavedRecord {
  fileName: string;
  complete: boolean;
  verified: string[];
  layers: { digest: string; offset: number; size: number }[];
}

/** The "saved-files" records in the app's IndexedDB. */
async function savedRecords(page: Page): Promise<SavedRecord[]> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open("dockerdl");
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    if (!db.objectStoreNames.contains("saved-files")) {
      db.close();
      return [];
    }
    const all = await new Promise<SavedRecord[]>((resolve) => {
      const request = db.transaction("saved-files").objectStore("saved-files").getAll();
      request.onsuccess = () => resolve(request.result as SavedRecord[]);
    });
    db.close();
    return all.map(({ fileName, complete, verified, layers }) => ({ fileName, complete, verified, layers }));
  });
}

async function downloadThroughFileSystemAccess(page: Page): Promise<void> {
  await openApp(page, worker);
  await typeReference(page, "test/layers:v1");
  await waitForSummary(page);
  await saveWith(page, "file");
  await clickDownload(page);
  expect(await waitForJobEnd(page)).toBe("done");
}

/** Opens the explorer on the image and browses; resolves once the layers are read. */
async function browse(page: Page): Promise<{ fetched: number; saved: number; cached: number }> {
  // A fresh document: a hash change alone would keep the last opened image on screen.
  await page.goto("about:blank");
  await page.goto(`${worker}/#/explore`);
  await page.fill("#explore-reference", "test/layers:v1");
  await page.waitForSelector("[data-testid=explore-single-platform]", { timeout: 20_000 });
  await page.click("[data-testid=browse]");
  const card = await page.waitForSelector("[data-testid=explore-image]", { timeout: 30_000 });
  await page.waitForSelector("[data-testid=tree] li[data-path=etc]", { timeout: 30_000 });
  const count = async (name: string) => Number(await card.getAttribute(name));
  return { fetched: await count("data-fetched"), saved: await count("data-saved"), cached: await count("data-cached") };
}

async function layerRows(page: Page): Promise<{ digest: string; source: string; savedFile?: string; text: string }[]> {
  return page.$$eval("[data-testid=explore-image] .layers li", (items) =>
    items.map((li) => {
      const d = (li as HTMLElement).dataset;
      return { digest: d.digest!, source: d.source!, ...(d.savedFile ? { savedFile: d.savedFile } : {}), text: li.textContent ?? "" };
    }),
  );
}

/** A few paths the fixture exists for: overwrite, whiteout, opaque folder, links, layers. */
async function checkTree(page: Page): Promise<void> {
  for (const folder of ["etc", "opt", "opt/app", "usr", "usr/bin", "var", "var/cache"]) {
    await page.click(`[data-testid=tree] li[data-path="${folder}"] > .row > button.toggle`);
    await page.waitForSelector(`[data-testid=tree] li[data-path="${folder}"] > ul[role=group] > li`);
  }
  const rows = await page.$$eval("[data-testid=tree] li[role=treeitem]", (items) =>
    Object.fromEntries(items.map((li) => {
      const d = (li as HTMLElement).dataset;
      return [d.path!, { type: d.type!, size: Number(d.size), layer: Number(d.layer), ...(d.link === undefined ? {} : { link: d.link }) }];
    })),
  );
  expect(rows["etc/remove-me"]).toBeUndefined();
  expect(rows["etc/os-release"]).toMatchObject({ type: "file", layer: 2, size: "NAME=fixture\nVERSION=2\n".length });
  expect(Object.keys(rows).filter((p) => p.startsWith("opt/app/"))).toEqual(["opt/app/new.txt"]);
  expect(rows["var/cache/fresh.txt"]).toMatchObject({ type: "file", layer: 3 });
  expect(rows["var/cache/big.bin"]).toBeUndefined();
  expect(rows["usr/bin/tool-link"]).toMatchObject({ type: "symlink", link: "tool", layer: 2 });
}

/** Drops the explorer's Cache API copies, so a saved file is the only local source. */
async function clearLayerCache(page: Page): Promise<void> {
  await page.evaluate(async () => {
    for (const name of await caches.keys()) await caches.delete(name);
  });
}

/** The service worker is kept out, so the context sees the workers' requests too. */
const test = browserTest({ serviceWorkers: "block" }).extend<{ $file: { blobRequests: string[] } }>({
  /** Every layer blob URL requested since the test last emptied the list, page and workers alike. */
  blobRequests: [
    async ({ browser }, use) => {
      const blobRequests: string[] = [];
      browser.context.on("request", (request) => {
        if (/\/v2\/.+\/blobs\/sha256:/.test(request.url())) blobRequests.push(request.url());
      });
      await use(blobRequests);
    },
    { scope: "file" },
  ],
});

/** How many of `requests` fetched one of the layers `digests`. */
function layerFetches(requests: string[], digests: string[]): number {
  return requests.filter((url) => digests.some((d) => url.endsWith(`/blobs/${d}`))).length;
}

// The tests run in order on the file's one page: each starts where the one before left it.
describe("the explorer reads layers from an image file saved in this browser", () => {
  test("browses a downloaded image without fetching any layer again, naming the saved file", async ({ page, blobRequests }) => {
    await downloadThroughFileSystemAccess(page);
    const [record] = await savedRecords(page);
    expect(record).toMatchObject({ fileName: FILE, complete: true });
    expect(record.layers).toHaveLength(fixture.layerCount);
    expect(record.verified.sort()).toEqual(record.layers.map((l) => l.digest).sort());
    // The download itself fetched every layer: the counting sees the workers' requests.
    const digests = record.layers.map((l) => l.digest);
    expect(layerFetches(blobRequests, digests)).toBeGreaterThanOrEqual(fixture.layerCount);

    await clearLayerCache(page);
    blobRequests.length = 0;
    const counts = await browse(page);
    expect(counts).toEqual({ fetched: 0, saved: fixture.layerCount, cached: 0 });
    expect(layerFetches(blobRequests, digests)).toBe(0);
    const layers = await layerRows(page);
    expect(layers.map((l) => l.digest).sort()).toEqual([...digests].sort());
    for (const layer of layers) {
      expect(layer).toMatchObject({ source: "saved", savedFile: FILE });
      expect(layer.text).toContain(`from your saved file ${FILE}`);
    }
    await checkTree(page);
  });

  test("falls back to the network when the saved file was changed, and forgets it", async ({ page, blobRequests }) => {
    const [record] = await savedRecords(page);
    // Same size, wrong bytes: garbage in the middle of every layer.
    await page.evaluate(async ({ name, layers }) => {
      const root = await navigator.storage.getDirectory();
      const writable = await (await root.getFileHandle(name)).createWritable({ keepExistingData: true });
      for (const layer of layers) {
        await writable.write({ type: "write", position: layer.offset + Math.floor(layer.size / 2), data: new Uint8Array(Math.min(64, layer.size)).fill(0x5a) });
      }
      await writable.close();
    }, { name: FILE, layers: record.layers });
    await clearLayerCache(page);

    // The open image read its layers from the file before it changed: extracting a file
    // now checks the layer whole first, then takes it from the network.
    const started = page.waitForEvent("download", { timeout: 30_000 });
    await page.click("button[aria-label='Download etc/os-release']");
    const download = await started;
    const path = await download.path();
    expect(readFileSync(path).toString()).toBe("NAME=fixture\nVERSION=2\n");
    const row = await page.waitForSelector(".save[data-file='os-release'][data-status=done]");
    expect(await row.getAttribute("data-fetched")).toBe("1");

    await clearLayerCache(page);
    blobRequests.length = 0;
    const counts = await browse(page);
    expect(counts).toMatchObject({ fetched: fixture.layerCount, saved: 0 });
    expect(layerFetches(blobRequests, record.layers.map((l) => l.digest))).toBeGreaterThanOrEqual(fixture.layerCount);
    expect((await layerRows(page)).map((l) => l.source)).toEqual(Array(fixture.layerCount).fill("network"));
    await checkTree(page);
    expect(await savedRecords(page)).toEqual([]);
  });

  test("falls back to the network when the saved file was truncated", async ({ browser, page, blobRequests }) => {
    await downloadThroughFileSystemAccess(page);
    const [record] = await savedRecords(page);
    expect(record).toMatchObject({ fileName: FILE, complete: true });
    const first = Math.min(...record.layers.map((l) => l.offset));
    await page.evaluate(async ({ name, size }) => {
      const root = await navigator.storage.getDirectory();
      const writable = await (await root.getFileHandle(name)).createWritable({ keepExistingData: true });
      await writable.truncate(size);
      await writable.close();
    }, { name: FILE, size: first + 10 });
    await clearLayerCache(page);
    blobRequests.length = 0;

    const counts = await browse(page);
    expect(counts).toMatchObject({ fetched: fixture.layerCount, saved: 0 });
    expect(layerFetches(blobRequests, record.layers.map((l) => l.digest))).toBeGreaterThanOrEqual(fixture.layerCount);
    await checkTree(page);
    expect(await savedRecords(page)).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
