// Steps a person takes in the app, named for what they do, so the tests read as the flow.
import type { Download, Page } from "playwright-core";

export async function openApp(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector("#reference");
}

/** Waits until the service worker controls the page (the streamed path needs it). */
export async function waitForServiceWorker(page: Page): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 });
}

export async function typeReference(page: Page, reference: string): Promise<void> {
  await page.fill("#reference", reference);
}

export async function choosePlatform(page: Page, platform: string): Promise<string[]> {
  await page.waitForSelector("select[name=platform]", { timeout: 20_000 });
  const offered = await page.$$eval("select[name=platform] option", (options) => options.map((o) => (o as HTMLOptionElement).value));
  await page.selectOption("select[name=platform]", platform);
  return offered;
}

export async function waitForSummary(page: Page): Promise<{ digest: string; layers: number }> {
  await page.waitForSelector("[data-testid=digest]", { timeout: 20_000 });
  return {
    digest: (await page.textContent("[data-testid=digest]")) ?? "",
    layers: Number(await page.textContent("[data-testid=layer-count]")),
  };
}

export async function saveWith(page: Page, via: "file" | "stream"): Promise<void> {
  await page.check(`input[name=via][value=${via}]`);
}

export async function clickDownload(page: Page): Promise<void> {
  await page.click(".summary button.primary");
}

/** Clicks Download with "Browser download" chosen; the download the service worker's stream answers. */
export async function clickStreamDownload(page: Page): Promise<Download> {
  const started = page.waitForEvent("download", { timeout: 30_000 });
  await clickDownload(page);
  return started;
}

export async function waitForJobEnd(page: Page): Promise<string> {
  const card = await page.waitForSelector(".job[data-status=done], .job[data-status=failed]", { timeout: 60_000 });
  return (await card.getAttribute("data-status")) ?? "";
}

export async function fillCredentials(page: Page, username: string, password: string): Promise<void> {
  await page.click(".credentials summary");
  await page.fill("input[name=username]", username);
  await page.fill("input[name=password]", password);
}

/** How many layers the unfinished job in IndexedDB has verified and committed. */
export async function committedLayers(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open("dockerdl");
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const jobs = await new Promise<{ state?: { blobs: Record<string, { verified: boolean }> } }[]>((resolve) => {
      const all = db.transaction("jobs").objectStore("jobs").getAll();
      all.onsuccess = () => resolve(all.result);
    });
    db.close();
    const blobs = jobs[0]?.state?.blobs ?? {};
    return Object.values(blobs).filter((b) => b.verified).length;
  });
}

/** Credentials remembered on this device for `registry` (none: forgotten), as the form's "remember" keeps them (lib/db.ts). */
export async function remembered(page: Page, registry: string, user: { username: string; password: string } | undefined): Promise<void> {
  // The page creates its database as it loads (the unfinished downloads are listed at once).
  await page.waitForFunction(async () => (await indexedDB.databases()).some((d) => d.name === "dockerdl"));
  await page.evaluate(({ registry, user }) => new Promise<void>((resolve, reject) => {
    const open = indexedDB.open("dockerdl");
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const store = open.result.transaction("credentials", "readwrite").objectStore("credentials");
      const change = user ? store.put({ registry, ...user }) : store.delete(registry);
      change.onsuccess = () => {
        open.result.close();
        resolve();
      };
      change.onerror = () => reject(change.error);
    };
  }), { registry, user });
}
