// The main job, end to end in headless Chromium against the harness Worker: pick a
// non-default platform of a multi-platform fixture, save it through File System Access
// (an OPFS file standing in for the picker) and through the service worker's streamed
// download; both files match the CLI's byte for byte and load with podman. A private
// image is refused without credentials, with a message that says what to do, and
// downloads with them.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, } from "vitest";
import { fixtureImage, harness, worker } from "../harness/injected.ts";
import { choosePlatform, clickDownload, clickStreamDownload, fillCredentials, openApp, saveWith, typeReference, waitForJobEnd, waitForServiceWorker, waitForSummary } from "./app-page.ts";
import { test as base } from "./browser-test.ts";
import { readOpfsFile } from "./browser.ts";
import { RESULTS, cliPull, podmanLoad } from "./files.ts";

const multi = fixtureImage("test/multi");

const test = base.extend<{ $file: { cliFile: string } }>({
  /** What the browser's files must equal: the CLI's download of test/multi:v1 for linux/arm64/v8. */
  cliFile: [
    async ({}, use) => {
      const file = join(RESULTS, "cli-multi-arm64.tar");
      await cliPull(worker, "test/multi:v1", "linux/arm64/v8", file);
      await use(file);
    },
    { scope: "file" },
  ],
});

describe("downloading an image in the browser", () => {
  test("offers only the index's real platforms and saves a non-default one through File System Access, as the CLI does", async ({ browser, page, cliFile }) => {
    await openApp(page, worker);
    await typeReference(page, "test/multi:v1");
    const offered = await choosePlatform(page, "linux/arm64/v8");
    expect(offered).toEqual(["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]);
    const summary = await waitForSummary(page);
    expect(summary.digest).toBe(multi.platforms["linux/arm64/v8"]);
    expect(summary.layers).toBe(multi.layerCount);
    await saveWith(page, "file");
    await clickDownload(page);
    expect(await waitForJobEnd(page)).toBe("done");
    expect(await page.textContent(".job .load-commands")).toContain("docker load -i test_multi_v1_linux_arm64_v8.tar");

    const bytes = await readOpfsFile(page, "test_multi_v1_linux_arm64_v8.tar");
    const file = join(RESULTS, "fsa-multi-arm64.tar");
    writeFileSync(file, bytes);
    expect(bytes.equals(readFileSync(cliFile))).toBe(true);
    expect(await podmanLoad(file)).toContain("Loaded image: docker.io/test/multi:v1");
    expect(browser.errors).toEqual([]);
  });

  test("saves the same image through the service worker's streamed download, as the CLI does", async ({ browser, page, cliFile }) => {
    await openApp(page, worker);
    await waitForServiceWorker(page);
    await typeReference(page, "test/multi:v1");
    await choosePlatform(page, "linux/arm64/v8");
    await waitForSummary(page);
    await saveWith(page, "stream");
    const download = await clickStreamDownload(page);
    expect(download.suggestedFilename()).toBe("test_multi_v1_linux_arm64_v8.tar");
    const file = join(RESULTS, "stream-multi-arm64.tar");
    await download.saveAs(file);
    expect(await download.failure()).toBeNull();
    expect(await waitForJobEnd(page)).toBe("done");
    expect(readFileSync(file).equals(readFileSync(cliFile))).toBe(true);
    expect(await podmanLoad(file)).toContain("Loaded image: docker.io/test/multi:v1");
    expect(browser.errors).toEqual([]);
  });

  test("says a single-platform image is for one platform only, offering no choice", async ({ page }) => {
    await openApp(page, worker);
    await typeReference(page, "test/single:v1");
    const single = await page.waitForSelector("[data-testid=single-platform]", { timeout: 20_000 });
    expect(await single.textContent()).toContain("linux/amd64");
    expect(await page.$("select[name=platform]")).toBeNull();
  });

  test("suggests the repository's tags as the reference is typed, a private one's once signed in", async ({ page }) => {
    await openApp(page, worker);
    await typeReference(page, "test/multi:v1");
    await page.waitForSelector("#tag-suggestions option[value='test/multi:v1']", { state: "attached", timeout: 20_000 });
    await typeReference(page, "private/secret:v1");
    await fillCredentials(page, harness.user.username, harness.user.password);
    await page.waitForSelector("#tag-suggestions option[value='private/secret:v1']", { state: "attached", timeout: 20_000 });
  });

  test("explains a malformed reference as it is typed, with the shared parser's words", async ({ page }) => {
    await openApp(page, worker);
    await typeReference(page, "Ubuntu:22.04");
    const error = await page.waitForSelector("#reference-error");
    expect(await error.textContent()).toContain("must be lowercase");
    expect(await page.getAttribute("#reference", "aria-invalid")).toBe("true");
  });

  test("refuses a private image without credentials, saying what to do, downloads it with them, and forgets them on request", async ({ browser, page }) => {
    await openApp(page, worker);
    await typeReference(page, "private/secret:v1");
    const refusal = await page.waitForSelector(".lookup .error", { timeout: 20_000 });
    const text = (await refusal.textContent()) ?? "";
    expect(text).toMatch(/refused access/i);
    expect(text).toMatch(/username and password/i);

    await fillCredentials(page, harness.user.username, harness.user.password);
    await page.check("input[name=remember]");
    await waitForSummary(page);
    await clickDownload(page);
    expect(await waitForJobEnd(page)).toBe("done");
    const file = join(RESULTS, "fsa-private.tar");
    writeFileSync(file, await readOpfsFile(page, "private_secret_v1_linux_amd64.tar"));
    expect(await podmanLoad(file)).toContain("Loaded image: docker.io/private/secret:v1");

    // Remembered on this device: back after a reload, until forgotten.
    await page.reload();
    await typeReference(page, "private/secret:v1");
    await waitForSummary(page);
    expect(await page.inputValue("input[name=username]")).toBe(harness.user.username);
    await page.click("text=Forget saved credentials");
    await page.waitForSelector("text=Saved credentials removed.");
    expect(await page.inputValue("input[name=username]")).toBe("");
    await page.reload();
    await typeReference(page, "private/secret:v1");
    await page.waitForSelector(".lookup .error", { timeout: 20_000 });
    expect(browser.errors).toEqual([]);
  });
});
