// Bundle mode end to end in headless Chromium against the harness Worker: two images
// that share a layer, pasted or named by a Compose file, each shown with its platform
// and size and the total with the shared layer counted once; saved through File System
// Access (an OPFS file behind the stubbed picker) into one file that equals the CLI's
// `dockerdl pull A B` byte for byte and that podman loads with both images; recorded in
// history; and, reloaded half way, resumed from its last commit to the same bytes. An
// image on the Basic-auth registry (its password remembered) resolves beside a public
// one: its 401 must not open the browser's own password prompt, which hung the row.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect } from "vitest";
import { buildImage, noise, type FileSpec } from "../harness/image-builder.ts";
import { BASIC_REGISTRY_KEY } from "../harness/harness.ts";
import { fixtureImage, harness, worker } from "../harness/injected.ts";
import { podmanLoad } from "../harness/podman.ts";
import { pushOwnImage } from "../harness/push-own.ts";
import { committedLayers, openApp, remembered, waitForJobEnd } from "./app-page.ts";
import { test as base } from "./browser-test.ts";
import { readOpfsFile } from "./browser.ts";
import { RESULTS, cliPull } from "./files.ts";
import { slowProxyFixture, type SlowProxy } from "./slow-proxy.ts";

// Two images whose first layer is the same blob (a shared base).
const shared: FileSpec[] = [{ path: "base.bin", content: noise("web-bundle-base", 256 * 1024) }];
const first = buildImage({ layers: [shared, [{ path: "first.txt", content: "first\n" }]] });
const second = buildImage({ oci: true, layers: [shared, [{ path: "second.txt", content: "second\n" }]] });
const NAMES = ["web-bundle/first:v1", "web-bundle/second:v1"];

const test = base.extend<{ $file: { cliFile: string; slow: SlowProxy } }>({
  /** The images pushed, and what the browser's file must equal: the CLI's bundle of both. */
  cliFile: [
    async ({}, use) => {
      await pushOwnImage("web-bundle/first", first, "v1");
      await pushOwnImage("web-bundle/second", second, "v1");
      const file = join(RESULTS, "cli-web-bundle.tar");
      await cliPull(worker, NAMES, undefined, file);
      await use(file);
    },
    { scope: "file" },
  ],
  slow: slowProxyFixture(worker, 700),
});

async function bundleMode(page: Page, url: string): Promise<void> {
  await openApp(page, url);
  await page.check("input[name=mode][value=bundle]");
}

/** The table once every row is looked up: [origin, reference, platform or error (the row under it), size]. */
async function bundleTable(page: Page): Promise<string[][]> {
  await page.waitForSelector("[data-bundle-row]", { timeout: 20_000 });
  await page.waitForFunction(() => document.querySelectorAll("[data-bundle-row][data-state=pending]").length === 0, null, { timeout: 20_000 });
  return page.$$eval("[data-bundle-row]", (rows) => rows.map((row) => {
    const cells = Array.from(row.querySelectorAll("td"), (td) => td.textContent?.trim() ?? "");
    if (row.getAttribute("data-state") === "error") cells[2] = row.nextElementSibling?.textContent?.trim() ?? "";
    return cells;
  }));
}

const shownBytes = async (page: Page, testId: string) => Number(await page.getAttribute(`[data-testid=${testId}]`, "data-bytes", { timeout: 20_000 }));

describe("Bundle mode", () => {
  test("pasted references: each image's platform and size, the total with the shared layer once, one file equal to the CLI's that podman loads with both", async ({ browser, page, cliFile }) => {
    await bundleMode(page, worker);
    await page.fill("#bundle-references", `# the stack\n${NAMES[0]}\n\n${NAMES[1]}   # shares a layer\n${NAMES[0]}\n`);
    const rows = await bundleTable(page);
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      ["line 2", NAMES[0], "linux/amd64"],
      ["line 4", NAMES[1], "linux/amd64"],
    ]);
    const cliSize = statSync(cliFile).size;
    expect(await shownBytes(page, "bundle-total")).toBe(cliSize);
    // Stored once, the shared layer is what the bundle saves over two separate files.
    expect(await shownBytes(page, "bundle-saved")).toBeGreaterThan(first.layers[0].bytes.length);
    expect(await page.textContent("[data-testid=bundle-file-out]")).toBe("bundle.tar");

    await page.click(".bundle-summary button.primary");
    expect(await waitForJobEnd(page)).toBe("done");
    expect(await page.textContent(".job .load-commands")).toContain("docker load -i bundle.tar");
    const bytes = await readOpfsFile(page, "bundle.tar");
    const file = join(RESULTS, "fsa-web-bundle.tar");
    writeFileSync(file, bytes);
    expect(bytes.equals(readFileSync(cliFile))).toBe(true);
    const loaded = await podmanLoad(file);
    // manifest.json's RepoTags are full names, so podman loads them as docker does, not under localhost/.
    expect(loaded.images.map((i) => i.name).sort()).toEqual(NAMES.map((n) => `docker.io/${n}`));

    const history = (await page.textContent("#history-title + .list")) ?? "";
    expect(history).toContain("Bundle of 2 images");
    expect(history).toContain(`${NAMES[1]} · linux/amd64`);

    // "Download again" fills the Bundle form with the same images and platforms.
    await page.fill("#bundle-references", "");
    await page.click("[data-history] button:has-text('Download again')");
    expect((await bundleTable(page)).map((r) => r.slice(0, 3))).toEqual([
      ["bundle.tar line 1", NAMES[0], "linux/amd64"],
      ["bundle.tar line 2", NAMES[1], "linux/amd64"],
    ]);
    expect(await page.textContent("[data-testid=bundle-file-out]")).toBe("bundle.tar");
    expect(await shownBytes(page, "bundle-total")).toBe(cliSize);
    expect(browser.errors).toEqual([]);
  });

  test("a Compose file: services with their platforms, defaults for variables, a variable without one and a bad line named, names never re-cased", async ({ browser, page, cliFile }) => {
    await bundleMode(page, worker);
    const compose = (api: string[]) => Buffer.from([
      "services:",
      "  web:",
      `    image: web-bundle/first:\${TAG:-v1}`,
      "  worker:",
      "    build: ./worker",
      "  db:",
      `    image: ${NAMES[1]}`,
      "    platform: linux/amd64",
      ...api,
    ].join("\n"));
    await page.setInputFiles("#bundle-file", { name: "compose.yaml", mimeType: "text/yaml", buffer: compose(["  api:", "    image: ghcr.io/Shop/api:${API_TAG}"]) });
    const refusal = await page.waitForSelector("#bundle-file-error", { timeout: 20_000 });
    expect(await refusal.textContent()).toContain("compose.yaml: service api uses the variable API_TAG, which has no value here and no default");

    await page.setInputFiles("#bundle-file", { name: "compose.yaml", mimeType: "text/yaml", buffer: compose([]) });
    await page.fill("#bundle-references", "Upper/Case:v1\n");
    const rows = await bundleTable(page);
    expect(rows[0].slice(0, 2)).toEqual(["line 1", "Upper/Case:v1"]);
    expect(rows[0][2]).toContain('"Upper/Case" is not valid: repository names must be lowercase');
    expect(rows.slice(1).map((r) => r.slice(0, 3))).toEqual([
      ["compose.yaml, service web", NAMES[0], "linux/amd64"],
      ["compose.yaml, service db", NAMES[1], "linux/amd64"],
    ]);
    expect(await page.textContent(".bundle-form")).toContain("compose.yaml: skipping worker (built from source, no image: to download)");
    expect(await page.isDisabled(".bundle-summary button.primary")).toBe(true);

    await page.fill("#bundle-references", "");
    expect(await page.textContent("[data-testid=bundle-file-out]")).toBe("compose.tar");
    await bundleTable(page);
    expect(await shownBytes(page, "bundle-total")).toBe(statSync(cliFile).size);
    expect(await page.isDisabled(".bundle-summary button.primary")).toBe(false);
    expect(browser.errors).toEqual([]);
  });

  test("two platforms of one tag: the later row says both are one name and what to do, and the bundle cannot start", async ({ browser, page }) => {
    await bundleMode(page, worker);
    const compose = ["services:", "  amd:", "    image: test/multi:v1", "    platform: linux/amd64", "  arm:", "    image: test/multi:v1", "    platform: linux/arm/v7", ""].join("\n");
    await page.setInputFiles("#bundle-file", { name: "compose.yaml", mimeType: "text/yaml", buffer: Buffer.from(compose) });
    const rows = await bundleTable(page);
    expect(rows[0].slice(0, 3)).toEqual(["compose.yaml, service amd", "test/multi:v1", "linux/amd64"]);
    expect(rows[1].slice(0, 2)).toEqual(["compose.yaml, service arm", "test/multi:v1"]);
    expect(rows[1][2]).toContain("test/multi:v1 (linux/amd64) and test/multi:v1 (linux/arm/v7) are two images with one name, docker.io/test/multi:v1");
    expect(rows[1][2]).toContain("keep one platform of it in this bundle, or make one bundle per platform");
    expect(await page.isDisabled(".bundle-summary button.primary")).toBe(true);
    await page.selectOption(".lang select", "zh");
    expect(await page.textContent("tr[data-bundle-error]")).toContain("是同名的两个镜像 docker.io/test/multi:v1");
    await page.selectOption(".lang select", "en");
    expect(browser.errors).toEqual([]);
  });

  test("an image on a Basic-auth registry beside a public one: each row resolves with the remembered password, and the file podman loads holds both", async ({ browser, page }) => {
    const images = [`${BASIC_REGISTRY_KEY}/team/tool:v1`, "test/single:v1"];
    await openApp(page, worker);
    await remembered(page, BASIC_REGISTRY_KEY, harness.basicUser);
    await bundleMode(page, worker);
    await page.evaluate(async () => (await navigator.storage.getDirectory()).removeEntry("bundle.tar").catch(() => {}));
    await page.fill("#bundle-references", images.join("\n"));
    const rows = await bundleTable(page);
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      ["line 1", images[0], "linux/amd64"],
      ["line 2", images[1], "linux/amd64"],
    ]);
    await page.click(".bundle-summary button.primary");
    expect(await waitForJobEnd(page)).toBe("done");
    const file = join(RESULTS, "basic-auth-web-bundle.tar");
    writeFileSync(file, await readOpfsFile(page, "bundle.tar"));
    const loaded = await podmanLoad(file);
    expect(loaded.images.map((i) => i.name).sort()).toEqual([images[0], `docker.io/${images[1]}`].sort());
    expect(browser.errors).toEqual([]);
    await remembered(page, BASIC_REGISTRY_KEY, undefined);
  });

  test("reloaded half way, is offered and resumes from its last commit to the same bytes as the CLI's", async ({ browser, page, slow, cliFile }) => {
    expect(cliFile).toBeTruthy(); // the images are pushed
    const names = ["test/many:v1", NAMES[0]];
    await bundleMode(page, slow.url);
    await page.fill("#bundle-references", names.join("\n"));
    await bundleTable(page);
    await page.click(".bundle-summary button.primary");
    await expect.poll(() => committedLayers(page), { timeout: 30_000, interval: 200 }).toBeGreaterThanOrEqual(3);

    const closed = Promise.all(page.workers().map((w) => new Promise((resolve) => w.once("close", resolve))));
    await page.reload();
    slow.delayMs = 0;
    const resume = await page.waitForSelector("[data-unfinished] button.primary", { timeout: 15_000 });
    expect(await page.textContent("[data-unfinished]")).toContain("Bundle of 2 images");
    await closed;
    const committed = await committedLayers(page);
    const requestsBefore = slow.blobRequests.length;
    await resume.click();
    expect(await waitForJobEnd(page)).toBe("done");
    // The two configs (to resolve again), plus only the layers the last commit did not have.
    expect(new Set(slow.blobRequests.slice(requestsBefore)).size).toBe(2 + fixtureImage("test/many").layerCount + first.layers.length - committed);

    const file = join(RESULTS, "resumed-web-bundle.tar");
    writeFileSync(file, await readOpfsFile(page, "bundle.tar"));
    const cliManyFile = join(RESULTS, "cli-many-bundle.tar");
    await cliPull(worker, names, undefined, cliManyFile);
    expect(readFileSync(file).equals(readFileSync(cliManyFile))).toBe(true);
    expect((await podmanLoad(file)).images.map((i) => i.name).sort()).toEqual(names.map((n) => `docker.io/${n}`).sort());
    expect(browser.errors).toEqual([]);
  });
});
