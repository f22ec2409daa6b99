// A new deployment reaches an open tab: the app looks for a new service worker every
// hour (sw-registration.ts), the new version installs and waits, the page shows its
// update prompt, and "Reload" lets the new service worker take over and reloads the
// page under it. A Worker of this test's own serves a snapshot of dist/ that the test
// changes ("deploys") while the page is open, so the shared Worker is not disturbed.
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { describe, expect, } from "vitest";
import { withOwnWorker } from "../harness/fixtures-vitest.ts";
import { harness } from "../harness/injected.ts";
import type { RunningWorker } from "../harness/wrangler.ts";
import { openApp, waitForServiceWorker } from "./app-page.ts";
import { test as base } from "./browser-test.ts";

const SHELL_PREFIX = "dockerdl-shell-";

/** The app shell caches in the page's origin (their names carry the SW's build id). */
async function shellCaches(page: Page): Promise<string[]> {
  return page.evaluate(async (prefix) => (await caches.keys()).filter((name) => name.startsWith(prefix)).sort(), SHELL_PREFIX);
}

/** The build id the controlling service worker reports (only the deployed version answers). */
async function reportedBuild(page: Page): Promise<string | undefined> {
  return page.evaluate(() => new Promise<string | undefined>((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (event) => resolve(String(event.data));
    navigator.serviceWorker.controller?.postMessage({ kind: "report-build" }, [channel.port2]);
    // Deliberate: an older version never answers, and silence has no event to wait for.
    setTimeout(() => resolve(undefined), 2_000);
  }));
}

/** The build id in the name of the page's one shell cache. */
async function currentBuild(page: Page): Promise<string> {
  await expect.poll(() => shellCaches(page)).toHaveLength(1);
  const [cache] = await shellCaches(page);
  const build = cache!.slice(SHELL_PREFIX.length);
  expect(build).toMatch(/^[0-9a-f]{12}$/);
  return build;
}

/**
 * Deploys a new version: the Worker's asset snapshot gets a service worker with a new
 * build id (a new cache name, as a real build with other files would have), which also
 * answers "report-build" so the test can tell which version controls the page. Returns
 * once the Worker serves it to a browser that has the old one.
 */
async function deploy(worker: RunningWorker, oldBuild: string): Promise<string> {
  const swFile = join(worker.assets!, "sw.js");
  const oldEtag = (await fetch(`${worker.url}/sw.js`)).headers.get("etag") ?? "";
  const oldScript = readFileSync(swFile, "utf8");
  expect(oldScript).toContain(oldBuild);
  const newBuild = randomBytes(6).toString("hex");
  expect(newBuild).not.toBe(oldBuild);
  const newScript = `${oldScript.replaceAll(oldBuild, newBuild)}
self.addEventListener("message", (event) => {
  if (event.data && event.data.kind === "report-build") event.ports[0].postMessage(${JSON.stringify(newBuild)});
});
`;
  writeFileSync(swFile, newScript);
  // Asked as the browser's update check asks: revalidating the copy it has. wrangler dev
  // serves a changed file's new bytes a moment before its new ETag, and a 304 in that
  // moment would tell the browser nothing changed.
  const revalidated = async () => {
    const response = await fetch(`${worker.url}/sw.js`, { headers: { "if-none-match": oldEtag } });
    return response.status === 200 ? response.text() : `HTTP ${response.status}`;
  };
  await expect.poll(revalidated, { timeout: 20_000, interval: 250 }).toBe(newScript);
  return newBuild;
}

/** Accepts the prompt and waits for the page to come back under the new version. */
async function acceptUpdate(page: Page, prompt: Locator, newBuild: string): Promise<void> {
  await page.evaluate(() => ((window as unknown as { beforeUpdate: boolean }).beforeUpdate = true));
  const reloaded = page.waitForEvent("load", { timeout: 15_000 });
  await prompt.getByRole("button", { name: "Reload" }).click();
  await reloaded;
  await page.waitForSelector("#reference");
  expect(await page.evaluate(() => (window as unknown as { beforeUpdate?: boolean }).beforeUpdate)).toBeUndefined();

  // The page now runs under the new service worker, whose cache replaced the old one.
  await waitForServiceWorker(page);
  expect(await reportedBuild(page)).toBe(newBuild);
  expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting ?? null)).toBeNull();
  await expect.poll(() => shellCaches(page)).toEqual([`${SHELL_PREFIX}${newBuild}`]);
  expect(await page.locator(".update").count()).toBe(0);
}

/** A Worker of this file's own: the tests change ("deploy") the snapshot of dist/ it serves. */
const test = base.extend<{ $file: { worker: RunningWorker } }>({
  worker: [
    async ({ tempDir }, use) => {
      const options = { upstreams: harness.upstreams, vars: { RATE_LIMIT: "0" }, persistDir: join(tempDir, "state"), logDir: tempDir, name: "wrangler-update" };
      await withOwnWorker(options, use);
    },
    { scope: "file" },
  ],
});

describe("the update prompt", () => {
  test("appears in an open tab at its hourly check after a deployment, and Reload switches the page to the new version", async ({ browser, page, worker }) => {
    // Timers run in real time until the test moves the clock on to the hourly check.
    await page.clock.install();
    await openApp(page, worker.url);
    await waitForServiceWorker(page);
    const oldBuild = await currentBuild(page);
    expect(await page.locator(".update").count()).toBe(0);

    const newBuild = await deploy(worker, oldBuild);

    // The hourly check of a long-lived tab finds the new version; it installs and waits.
    await page.clock.fastForward("01:00:00");
    const prompt = page.getByRole("status").filter({ hasText: "A new version of dockerdl is available." });
    await prompt.waitFor({ timeout: 15_000 });
    // Until the person agrees, the old version keeps the page.
    expect(await reportedBuild(page)).toBeUndefined();

    await acceptUpdate(page, prompt, newBuild);
    expect(browser.errors).toEqual([]);
  });

  test("appears when the app is opened again after a deployment, and Reload switches the page to the new version", async ({ browser, page, worker }) => {
    await openApp(page, worker.url);
    await waitForServiceWorker(page);
    const oldBuild = await currentBuild(page);
    const newBuild = await deploy(worker, oldBuild);

    // Opening the app again makes the browser look for a new service worker.
    await page.reload();
    await page.waitForSelector("#reference");
    const prompt = page.getByRole("status").filter({ hasText: "A new version of dockerdl is available." });
    await prompt.waitFor({ timeout: 15_000 });
    expect(await reportedBuild(page)).not.toBe(newBuild);

    await acceptUpdate(page, prompt, newBuild);
    expect(browser.errors).toEqual([]);
  });
});
