// Several sources in the web app (issue #29): an extra source added in settings (a relay
// in front of the harness Worker: another origin, whose answers carry the Worker's CORS
// headers) is fetched from beside the app's own Worker, for one image, a bundle and the
// streamed download (the service worker's, as in Firefox). Each file matches the CLI's
// byte for byte and loads with podman; the card shows bytes from both sources. A source
// lacking a layer is skipped for it, named on the card; a bundle's image signed in to
// never reaches the extra source. A source that sends wrong bytes is named on the card
// and dropped, and a picked file is still right, while a stream (which cannot take bytes
// back) stops, naming the source and saying to remove it, in English and Chinese. A URL
// that is not https (nor this machine's http) is refused with a message that says what to write.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Download, Page } from "playwright-core";
import { describe, expect } from "vitest";
import { TOKEN_REGISTRY_KEY } from "../harness/harness.ts";
import { harness, worker } from "../harness/injected.ts";
import { startRelay, type Relay, type RelayFault } from "../harness/relay.ts";
import { clickDownload, clickStreamDownload, openApp, remembered, saveWith, typeReference, waitForJobEnd, waitForServiceWorker, waitForSummary } from "./app-page.ts";
import { test as base } from "./browser-test.ts";
import { readOpfsFile } from "./browser.ts";
import { RESULTS, cliPull, podmanLoad } from "./files.ts";

const test = base.extend<{ $file: { mirror: Relay } }>({
  mirror: [
    async ({}, use) => {
      const relay = await startRelay(worker);
      await use(relay);
      await relay.stop();
    },
    { scope: "file" },
  ],
});

async function addSource(page: Page, url: string): Promise<void> {
  const settings = await page.waitForSelector("[data-testid=sources]");
  if (!(await settings.evaluate((d) => (d as HTMLDetailsElement).open))) await page.click("[data-testid=sources] summary");
  await page.fill("#source-url", url);
  await page.press("#source-url", "Enter");
}

/** The mirror in settings (the browser's profile keeps the list between tests): its name on the card. */
async function useSource(page: Page, mirror: Relay): Promise<string> {
  const source = mirror.url.replace(/\/$/, "");
  if (!(await page.textContent("[data-testid=sources]"))?.includes(source)) await addSource(page, source);
  return source;
}

/**
 * The first layer the extra source is asked for gets `fault`, every time it is asked (a
 * fresh client's first request may get a 401, the token's challenge); the layer's path.
 */
function faultOnFirstLayer(mirror: Relay, fault: RelayFault): () => string | undefined {
  let first: string | undefined;
  mirror.fault = (request) => {
    if (request.method !== "GET" || !request.path.includes("/blobs/")) return undefined;
    first ??= request.path;
    return request.path === first ? fault : undefined;
  };
  return () => first;
}

/** Each source's bytes as the finished job's card shows them. */
function cardBytesBySource(page: Page): Promise<Record<string, number>> {
  return page.$$eval(".job[data-status=done] [data-testid=job-sources] li[data-source]", (items) =>
    Object.fromEntries(items.map((li) => [li.getAttribute("data-source") ?? "", Number(li.getAttribute("data-bytes"))])));
}

/** Downloads test/many:v1 into a picked (OPFS) file; its bytes, and each source's bytes as the card shows them. */
async function downloadMany(page: Page): Promise<{ file: Buffer; bytesBySource: Record<string, number> }> {
  await typeReference(page, "test/many:v1");
  await waitForSummary(page);
  await saveWith(page, "file");
  await page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry("test_many_v1_linux_amd64.tar").catch(() => {}));
  await clickDownload(page);
  expect(await waitForJobEnd(page)).toBe("done");
  return { file: await readOpfsFile(page, "test_many_v1_linux_amd64.tar"), bytesBySource: await cardBytesBySource(page) };
}

/** Starts test/many:v1 as a browser download (the service worker's stream) with the mirror as a source. */
async function streamMany(page: Page, mirror: Relay): Promise<{ download: Download; source: string }> {
  await openApp(page, worker);
  await waitForServiceWorker(page);
  const source = await useSource(page, mirror);
  await page.check("input[name=mode][value=image]");
  await typeReference(page, "test/many:v1");
  await waitForSummary(page);
  await saveWith(page, "stream");
  return { download: await clickStreamDownload(page), source };
}

/** Downloads `images` as a bundle into a picked (OPFS) file; its bytes, and each source's bytes as the card shows them. */
async function downloadBundle(page: Page, images: string[]): Promise<{ file: Buffer; bytesBySource: Record<string, number> }> {
  await page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry("bundle.tar").catch(() => {}));
  await page.check("input[name=mode][value=bundle]");
  await page.fill("#bundle-references", images.join("\n"));
  await page.click(".bundle-summary button.primary:not([disabled])", { timeout: 20_000 });
  expect(await waitForJobEnd(page)).toBe("done");
  return { file: await readOpfsFile(page, "bundle.tar"), bytesBySource: await cardBytesBySource(page) };
}

/** What the files must equal: the CLI's download of `reference` (several: a bundle) through the same Worker. */
async function cliFile(reference: string | string[], name: string): Promise<Buffer> {
  const file = join(RESULTS, name);
  await cliPull(worker, reference, undefined, file);
  return readFileSync(file);
}

const cliMany = () => cliFile("test/many:v1", "cli-many-sources.tar");

describe("a download from several sources", () => {
  test("refuses a source URL that is not https, saying what to write", async ({ page }) => {
    await openApp(page, worker);
    await addSource(page, "http://mirror.example.com");
    expect(await page.textContent("[data-testid=source-refusal]")).toBe(
      "http://mirror.example.com/ is refused: a source must use https (plain http only on this machine: localhost, 127.0.0.1). Write its https:// address.",
    );
    await addSource(page, "not a url");
    expect(await page.textContent("[data-testid=source-refusal]")).toContain("\"not a url\" is not a URL");
    expect(await page.$$("[data-testid=sources] .source-list li")).toHaveLength(0);
  });

  test("fetches layers from the app's Worker and the extra source, into the same file the CLI writes", async ({ browser, page, mirror }) => {
    await openApp(page, worker);
    await addSource(page, mirror.url);
    expect(await page.textContent("[data-testid=sources] .source-list")).toContain(mirror.url.replace(/\/$/, ""));
    expect(await page.$("[data-testid=source-refusal]")).toBeNull();

    const { file: bytes, bytesBySource } = await downloadMany(page);
    expect(Object.keys(bytesBySource).sort()).toEqual([new URL(worker).origin, mirror.url.replace(/\/$/, "")].sort());
    for (const bytes of Object.values(bytesBySource)) expect(bytes).toBeGreaterThan(0);
    // The relay saw the blob bytes the card credits to it.
    expect(mirror.bytesFor("/blobs/")).toBeGreaterThan(0);

    const file = join(RESULTS, "several-sources-many.tar");
    writeFileSync(file, bytes);
    expect(bytes.equals(await cliMany())).toBe(true);
    expect(await podmanLoad(file)).toContain("Loaded image: docker.io/test/many:v1");
    expect(browser.errors).toEqual([]);
  });

  test("names a source that sent wrong bytes on the card, drops it, and still writes the right file", async ({ page, mirror }) => {
    faultOnFirstLayer(mirror, { kind: "corrupt", atByte: 10 });
    await openApp(page, worker);
    const source = await useSource(page, mirror);

    const { file, bytesBySource } = await downloadMany(page);
    expect(mirror.log.some((e) => e.fault === "corrupt" && e.status >= 200 && e.status < 300 && e.bytes > 10)).toBe(true);
    const events = await page.textContent(".job[data-status=done] [data-testid=source-events]");
    expect(events).toMatch(new RegExp(`Source ${source} sent wrong bytes for layer sha256:[0-9a-f]{64} \\(bytes \\d+-\\d+\\) and was dropped`));
    expect(await page.textContent(`.job[data-status=done] li[data-source="${source}"]`)).toContain("dropped");
    // Said once: the blame's line says it was dropped, so no second "dropped" line repeats it.
    expect(await page.$$(".job[data-status=done] [data-testid=source-events] li")).toHaveLength(1);
    expect(bytesBySource[new URL(worker).origin]).toBeGreaterThan(0);
    expect(file.equals(await cliMany())).toBe(true);
    mirror.reset();
  });
  test("skips a source that lacks a layer, saying so on the card, and fetches that layer from the app's Worker", async ({ page, mirror }) => {
    mirror.reset();
    const missing = faultOnFirstLayer(mirror, { kind: "status", status: 404 });
    await openApp(page, worker);
    const source = await useSource(page, mirror);
    const { file, bytesBySource } = await downloadMany(page);
    const layer = /sha256:[0-9a-f]{64}/.exec(missing() ?? "")?.[0];
    expect(layer).toBeDefined();
    const skipped = await page.$$eval(".job[data-status=done] [data-testid=source-events] li[data-kind=skipped]", (items) => items.map((li) => li.textContent));
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatch(new RegExp(`^Source ${source} skipped for layer ${layer}: `));
    // Skipped for that layer only: it still served others, and is not dropped.
    expect(bytesBySource[source]).toBeGreaterThan(0);
    expect(await page.textContent(`.job[data-status=done] li[data-source="${source}"]`)).not.toContain("dropped");
    expect(file.equals(await cliMany())).toBe(true);
    mirror.reset();
  });

  test("a bundle with an image signed in to: its layers come from the app's Worker alone, the others' from both", async ({ browser, page, mirror }) => {
    const images = ["test/many:v1", `${TOKEN_REGISTRY_KEY}/private/secret:v1`];
    mirror.reset();
    await openApp(page, worker);
    await useSource(page, mirror);
    await remembered(page, TOKEN_REGISTRY_KEY, harness.user);
    const { file: bytes, bytesBySource } = await downloadBundle(page, images);
    for (const bytes of Object.values(bytesBySource)) expect(bytes).toBeGreaterThan(0);
    expect(mirror.log.some((e) => e.path.includes("/blobs/"))).toBe(true);
    expect(mirror.log.filter((e) => e.path.includes("private/secret"))).toEqual([]);
    // Nothing of the signed-in image reached the other source, and no skip says so either.
    expect(await page.$$(".job[data-status=done] [data-testid=source-events] li")).toHaveLength(0);
    const file = join(RESULTS, "several-sources-signed-in-bundle.tar");
    writeFileSync(file, bytes);
    const loaded = await podmanLoad(file);
    for (const image of images) expect(loaded).toContain(image.startsWith(TOKEN_REGISTRY_KEY) ? image : `docker.io/${image}`);
    expect(browser.errors).toEqual([]);
    await remembered(page, TOKEN_REGISTRY_KEY, undefined);
  });

  test("a bundle fetches its images' layers from the app's Worker and the extra source, into the same file the CLI writes", async ({ browser, page, mirror }) => {
    const images = ["test/many:v1", "test/single:v1"];
    mirror.reset();
    await openApp(page, worker);
    await useSource(page, mirror);
    const { file: bytes, bytesBySource } = await downloadBundle(page, images);
    expect(Object.keys(bytesBySource).sort()).toEqual([new URL(worker).origin, mirror.url.replace(/\/$/, "")].sort());
    for (const bytes of Object.values(bytesBySource)) expect(bytes).toBeGreaterThan(0);
    expect(mirror.bytesFor("/blobs/")).toBeGreaterThan(0);
    const file = join(RESULTS, "several-sources-bundle.tar");
    writeFileSync(file, bytes);
    expect(bytes.equals(await cliFile(images, "cli-bundle-sources.tar"))).toBe(true);
    const loaded = await podmanLoad(file);
    for (const image of images) expect(loaded).toContain(`docker.io/${image}`);
    expect(browser.errors).toEqual([]);
  });

  test("the streamed download (no file picker, as in Firefox) fetches from both sources too, and its card shows each one's bytes", async ({ browser, page, mirror }) => {
    mirror.reset();
    const { download } = await streamMany(page, mirror);
    const file = join(RESULTS, "several-sources-stream.tar");
    await download.saveAs(file);
    expect(await download.failure()).toBeNull();
    expect(await waitForJobEnd(page)).toBe("done");

    const bytesBySource = await cardBytesBySource(page);
    expect(Object.keys(bytesBySource).sort()).toEqual([new URL(worker).origin, mirror.url.replace(/\/$/, "")].sort());
    for (const bytes of Object.values(bytesBySource)) expect(bytes).toBeGreaterThan(0);
    expect(mirror.bytesFor("/blobs/")).toBeGreaterThan(0);
    expect(readFileSync(file).equals(await cliMany())).toBe(true);
    expect(await podmanLoad(file)).toContain("Loaded image: docker.io/test/many:v1");
    expect(browser.errors).toEqual([]);
  });
  test("a streamed download that a source sends wrong bytes into stops, names the source and says to remove it, in English and Chinese", async ({ browser, page, mirror }) => {
    mirror.reset();
    // Every blob request to the extra source gets a byte flipped: whichever layer it serves, the stream stops there.
    mirror.fault = (request) => (request.method === "GET" && request.path.includes("/blobs/") ? { kind: "corrupt", atByte: 10 } : undefined);
    const { download, source } = await streamMany(page, mirror);
    // The browser's download fails: no file that looks complete.
    expect(await download.failure()).not.toBeNull();
    expect(await waitForJobEnd(page)).toBe("failed");
    expect(await page.getAttribute(".job[data-status=failed] .error", "data-code")).toBe("DIGEST_MISMATCH");
    expect(mirror.log.some((e) => e.fault === "corrupt" && e.status >= 200 && e.status < 300 && e.bytes > 10)).toBe(true);

    const blamed = await page.waitForSelector(".job[data-status=failed] [data-testid=source-events] li[data-kind=blamed]", { timeout: 20_000 });
    expect(await blamed.textContent()).toMatch(new RegExp(`^Source ${source} sent wrong bytes for layer sha256:[0-9a-f]{64} \\(bytes \\d+-\\d+\\) and was dropped`));
    expect(await page.textContent(".job[data-status=failed] [data-testid=source-advice]")).toBe(
      `Remove ${source} under Sources before downloading again (or ask whoever runs it to fix it): until then every download asks it too.`,
    );
    await page.selectOption("select[aria-label=Language]", "zh");
    expect(await blamed.textContent()).toMatch(new RegExp(`^下载源 ${source} 发送了错误的数据（层 sha256:[0-9a-f]{64}，字节 \\d+-\\d+），已弃用：`));
    expect(await page.textContent(".job[data-status=failed] [data-testid=source-advice]")).toBe(
      `重新下载前，请在“下载源”中移除 ${source}（或请其维护者修复）：在移除之前，每次下载仍会向它请求数据。`,
    );
    await page.selectOption("header select:has(option[value=en])", "en");
    expect(browser.errors).toEqual([]);
    mirror.reset();
  });
});
