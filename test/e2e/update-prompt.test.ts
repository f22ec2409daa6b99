// A new deployment reaches an open tab: the app looks for a new service worker every
// hour (sw-registration.ts), the new version installs and waits, the page shows its
// update prompt, and "Reload" lets the new service worker take over and reloads the
// page under it. A Worker of this test's own serves a snapshot of dist/ that the test
// changes ("deploys") while the page is open, so the shared Worker is not disturbed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startWorker, type RunningWorker } from "../harness/wrangler.ts";
import { openApp, waitForServiceWorker } from "./app-page.ts";
import { launch, type Browser } from "./browser.ts";

const harness = inject("harness");
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

describe("the update prompt", () => {
  let dir: string;
  let worker: RunningWorker;
  let browser: Browser;
  let deployments = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "dockerdl-update-e2e-"));
    worker = await startWorker({
      upstreams: harness.upstreams,
      vars: { RATE_LIMIT: "0" },
      persistDir: join(dir, "state"),
      logDir: dir,
      name: "wrangler-update",
    });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

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
   * once the Worker serves it.
   */
  async function deploy(oldBuild: string): Promise<string> {
    const swFile = join(dir, `worker-${new URL(worker.url).port}`, "assets", "sw.js");
    const oldScript = readFileSync(swFile, "utf8");
    expect(oldScript).toContain(oldBuild);
    const newBuild = (++deployments * 0x1000 + Date.now()).toString(16).slice(-12).padStart(12, "0");
    expect(newBuild).not.toBe(oldBuild);
    const newScript = `${oldScript.replaceAll(oldBuild, newBuild)}
self.addEventListener("message", (event) => {
  if (event.data && event.data.kind === "report-build") event.ports[0].postMessage(${JSON.stringify(newBuild)});
});
`;
    writeFileSync(swFile, newScript);
    await expect
      .poll(async () => (await fetch(`${worker.url}/sw.js`, { cache: "no-store" })).text(), { timeout: 20_000, interval: 250 })
      .toBe(newScript);
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

  it("appears in an open tab at its hourly check after a deployment, and Reload switches the page to the new version", async () => {
    const page = await browser.newPage();
    // Timers run in real time until the test moves the clock on to the hourly check.
    await page.clock.install();
    await openApp(page, worker.url);
    await waitForServiceWorker(page);
    const oldBuild = await currentBuild(page);
    expect(await page.locator(".update").count()).toBe(0);

    const newBuild = await deploy(oldBuild);

    // The hourly check of a long-lived tab finds the new version; it installs and waits.
    await page.clock.fastForward("01:00:00");
    const prompt = page.getByRole("status").filter({ hasText: "A new version of dockerdl is available." });
    await prompt.waitFor({ timeout: 15_000 });
    // Until the person agrees, the old version keeps the page.
    expect(await reportedBuild(page)).toBeUndefined();

    await acceptUpdate(page, prompt, newBuild);
    expect(browser.errors).toEqual([]);
  });

  it("appears when the app is opened again after a deployment", async () => {
    const page = await browser.newPage();
    await openApp(page, worker.url);
    await waitForServiceWorker(page);
    const oldBuild = await currentBuild(page);
    const newBuild = await deploy(oldBuild);

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
