// Several sources in the web app (issue #29): an extra source added in settings (a relay
// in front of the harness Worker: another origin, whose answers carry the Worker's CORS
// headers) is fetched from beside the app's own Worker. The file matches the CLI's byte
// for byte and loads with podman; the card shows bytes from both sources; a source that
// sends wrong bytes is named on the card and dropped, and the file is still right; a URL
// that is not https (nor this machine's http) is refused with a message that says what to write.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect } from "vitest";
import { worker } from "../harness/injected.ts";
import { startRelay, type Relay } from "../harness/relay.ts";
import { clickDownload, openApp, saveWith, typeReference, waitForJobEnd, waitForSummary } from "./app-page.ts";
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

/** Downloads test/many:v1 into a picked (OPFS) file; its bytes, and each source's bytes as the card shows them. */
async function downloadMany(page: Page): Promise<{ file: Buffer; bytesBySource: Record<string, number> }> {
  await typeReference(page, "test/many:v1");
  await waitForSummary(page);
  await saveWith(page, "file");
  await clickDownload(page);
  expect(await waitForJobEnd(page)).toBe("done");
  const bytesBySource = await page.$$eval(".job[data-status=done] [data-testid=job-sources] li[data-source]", (items) =>
    Object.fromEntries(items.map((li) => [li.getAttribute("data-source") ?? "", Number(li.getAttribute("data-bytes"))])));
  return { file: await readOpfsFile(page, "test_many_v1_linux_amd64.tar"), bytesBySource };
}

/** What the files must equal: the CLI's download of test/many:v1 through the same Worker. */
async function cliMany(): Promise<Buffer> {
  const cliFile = join(RESULTS, "cli-many-sources.tar");
  await cliPull(worker, "test/many:v1", undefined, cliFile);
  return readFileSync(cliFile);
}

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
    // The first layer the extra source is asked for comes with a byte flipped, every time
    // it is asked (a fresh client's first request may get a 401, the token's challenge).
    let corrupted: string | undefined;
    mirror.fault = (request) => {
      if (request.method !== "GET" || !request.path.includes("/blobs/")) return undefined;
      corrupted ??= request.path;
      return request.path === corrupted ? { kind: "corrupt", atByte: 10 } : undefined;
    };
    await openApp(page, worker);
    const source = mirror.url.replace(/\/$/, "");
    if (!(await page.textContent("[data-testid=sources]"))?.includes(source)) await addSource(page, source);
    await page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry("test_many_v1_linux_amd64.tar").catch(() => {}));

    const { file, bytesBySource } = await downloadMany(page);
    expect(mirror.log.some((e) => e.fault === "corrupt" && e.status >= 200 && e.status < 300 && e.bytes > 10)).toBe(true);
    const events = await page.textContent(".job[data-status=done] [data-testid=source-events]");
    expect(events).toMatch(new RegExp(`Source ${source} sent wrong bytes for layer sha256:[0-9a-f]{64} \\(bytes \\d+-\\d+\\) and was dropped`));
    expect(await page.textContent(`.job[data-status=done] li[data-source="${source}"]`)).toContain("dropped");
    expect(bytesBySource[new URL(worker).origin]).toBeGreaterThan(0);
    expect(file.equals(await cliMany())).toBe(true);
    mirror.reset();
  });
});
