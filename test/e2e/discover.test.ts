// Discovery end to end in headless Chromium against the harness Worker (its HUB_API is
// the fake Hub): the popular images in front, search as you type with the query in the
// URL, an image page with its description rendered safely and its tags per platform,
// and one click from a tag's platform to the download form, prefilled, then saved
// through File System Access and loaded by podman. A hostile README runs nothing.
// Screenshots of both views at phone and desktop widths go to test-results/e2e.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, } from "vitest";
import { fixtureImage, worker } from "../harness/injected.ts";
import { clickDownload, saveWith, waitForJobEnd, waitForSummary } from "./app-page.ts";
import { test } from "./browser-test.ts";
import { readOpfsFile } from "./browser.ts";
import { RESULTS, podmanLoad } from "./files.ts";

const multi = fixtureImage("test/multi");

async function resultNames(page: Page, scope = ""): Promise<string[]> {
  return page.$$eval(`${scope} .result .result-name`, (names) => names.map((n) => n.textContent ?? ""));
}

async function statusText(page: Page): Promise<string> {
  return (await page.textContent("#discover-status")) ?? "";
}

/** At phone and desktop widths: nothing wider than the screen, and a screenshot. */
async function layOut(page: Page, name: string): Promise<void> {
  for (const width of [390, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} at ${width} px`).toBeLessThanOrEqual(width);
    await page.screenshot({ path: join(RESULTS, `discover-${name}-${width}.png`), fullPage: true });
  }
}

describe("finding an image and downloading it from its page", () => {
  test("searches once typing pauses, opens a result, and downloads the tag and platform picked there", async ({ browser, page, dialogs }) => {
    const searches: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/api/search")) searches.push(new URL(request.url()).searchParams.get("q") ?? "");
    });

    // The front: popular official images, most pulled first.
    await page.goto(`${worker}/#/search`);
    await page.waitForSelector(".popular .result");
    const popular = await resultNames(page, ".popular");
    expect(popular.slice(0, 3)).toEqual(["nginx", "alpine", "ubuntu"]);
    expect(popular).toContain("hello");
    expect(await page.textContent(".popular .result[data-repository='library/nginx']")).toContain("Official image");

    // Typed key by key: one search once typing pauses, the query in the URL.
    await page.locator("#discover-query").pressSequentially("test/", { delay: 20 });
    await page.waitForFunction(() => document.querySelector("#discover-status")?.textContent?.startsWith("Showing"));
    expect(await statusText(page)).toBe("Showing 5 of 5 results for “test/”");
    expect((await resultNames(page)).sort()).toEqual(["test/layers", "test/list", "test/many", "test/multi", "test/single"]);
    expect(searches).toEqual(["test/"]);
    expect(new URL(page.url()).hash).toBe("#/search?q=test%2F");
    expect(await page.isVisible("#reference")).toBe(false); // the download form stays out of the way
    await layOut(page, "search");

    // The image page: stats, tags per platform with sizes, the description as markdown.
    await page.click(".result[data-repository='test/multi'] .result-link");
    await page.waitForSelector(".image-head h2:text-is('test/multi')");
    const rows = page.locator("tbody[data-tag=v1] tr[data-platform]");
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-platform")))).toEqual(["linux/amd64", "linux/arm64/v8", "linux/arm/v7"]);
    expect(await page.textContent("tbody[data-tag=v1] tr[data-platform='linux/arm64/v8'] .num")).toMatch(/^\d+(\.\d)? (B|KiB|MiB)$/);
    expect(await page.textContent(".md h3")).toBe("test/multi");
    expect(await page.textContent(".md strong")).toBe("fixture");
    expect(await page.locator(".md script, .md a").count()).toBe(0); // <script> dropped, javascript: link left as text
    expect(await page.textContent(".md")).toContain("link");
    expect(await page.getAttribute("tbody[data-tag=v1] tr[data-platform='linux/arm64/v8'] a:not(.primary)", "href"))
      .toBe("#/explore?image=test%2Fmulti%3Av1&platform=linux%2Farm64%2Fv8");
    await layOut(page, "image");

    // Back and forward move between the search (query restored) and the image page.
    await page.goBack();
    await page.waitForSelector(".result[data-repository='test/multi']");
    expect(await page.inputValue("#discover-query")).toBe("test/");
    await page.goForward();
    await page.waitForSelector(".image-head h2:text-is('test/multi')");
    expect(await page.getAttribute("a.back", "href")).toBe("#/search?q=test%2F");

    // One click to the download form, reference and platform preselected.
    await page.click("tbody[data-tag=v1] tr[data-platform='linux/arm64/v8'] a.primary");
    await page.waitForFunction(() => (document.querySelector("#reference") as HTMLInputElement | null)?.value === "test/multi:v1");
    await page.waitForFunction(() => (document.querySelector("select[name=platform]") as HTMLSelectElement | null)?.value === "linux/arm64/v8", null, { timeout: 20_000 });
    const summary = await waitForSummary(page);
    expect(summary.digest).toBe(multi.platforms["linux/arm64/v8"]);
    await saveWith(page, "file");
    await clickDownload(page);
    expect(await waitForJobEnd(page)).toBe("done");
    const file = join(RESULTS, "discover-multi-arm64.tar");
    writeFileSync(file, await readOpfsFile(page, "test_multi_v1_linux_arm64_v8.tar"));
    expect(await podmanLoad(file)).toContain("Loaded image: docker.io/test/multi:v1");

    expect(dialogs).toEqual([]);
    expect(browser.errors).toEqual([]);
  });

  test("renders a hostile README as text: no script runs, no javascript: or data: link, no image loads", async ({ browser, page, dialogs }) => {
    const outside: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(worker)) outside.push(request.url());
    });
    await page.goto(`${worker}/#/image?image=mallory/readme`);
    await page.waitForSelector(".md h3:text-is('Hostile readme')");
    expect(await page.textContent(".md strong")).toBe("bold");
    // Deliberate: a script that does not run sends no event to wait for, so give anything
    // that might fire (onerror, onload) the time to before checking that nothing did.
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
    expect(await page.locator(".md script, .md img, .md iframe, .md svg, .md [onerror], .md [onload]").count()).toBe(0);
    const links = await page.$$eval(".md a", (as) => as.map((a) => ({ href: a.getAttribute("href"), rel: a.getAttribute("rel"), target: a.getAttribute("target") })));
    expect(links.map((l) => l.href)).toEqual(["https://example.com/docs", "https://tracker.invalid/pixel.gif"]);
    for (const link of links) expect(link).toMatchObject({ rel: "noopener noreferrer nofollow", target: "_blank" });
    const text = (await page.textContent(".md")) ?? "";
    for (const label of ["js link", "data link", "spaced", "ref", "an anchor"]) expect(text).toContain(label);
    expect(outside).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(browser.errors).toEqual([]);
  });

  test("pages results with “Show more”, says when nothing matches, and speaks Chinese", async ({ browser, page }) => {
    await page.goto(`${worker}/#/search?q=webapp`);
    await page.waitForFunction(() => document.querySelector("#discover-status")?.textContent?.startsWith("Showing"));
    expect(await statusText(page)).toBe("Showing 25 of 30 results for “webapp”");
    await page.click("button.more");
    await page.waitForFunction(() => document.querySelectorAll(".result").length === 30);
    expect(await statusText(page)).toBe("Showing 30 of 30 results for “webapp”");
    expect(await page.locator("button.more").count()).toBe(0);
    expect(await page.textContent(".result[data-repository='webfan0/webapp']")).toContain("1K pulls");

    await page.fill("#discover-query", "no-such-thing-anywhere");
    await page.waitForFunction(() => document.querySelector("#discover-status")?.textContent?.startsWith("No images match"));
    expect(await page.locator(".result").count()).toBe(0);

    await page.selectOption(".lang select", "zh");
    await page.fill("#discover-query", "nginx");
    await page.waitForFunction(() => document.querySelector("#discover-status")?.textContent?.includes("共 3 个结果"));
    expect(await page.textContent(".discover h2")).toBe("搜索 Docker Hub");
    expect(await page.textContent(".result[data-repository='library/nginx']")).toContain("130亿 次拉取");
    expect(await page.textContent(".result[data-repository='bitnami/nginx']")).toContain("认证发布者");
    await page.selectOption(".lang select", "en");
    expect(browser.errors).toEqual([]);
  });

  test("puts the named tag first, pages and filters tags, and explains an unknown image", async ({ page }) => {
    await page.goto(`${worker}/#/image?image=ubuntu:22.04`);
    await page.waitForSelector(".image-head h2:text-is('ubuntu')");
    expect(await page.getAttribute("tbody[data-tag]", "data-tag")).toBe("22.04");
    expect(await page.textContent(".image-head .actions a.primary")).toContain("ubuntu:22.04");
    expect(await page.textContent("text=/of 47 tags/")).toBe("25 of 47 tags");
    await page.click("text=Show more tags");
    await page.waitForSelector("text=47 of 47 tags");
    await page.fill(".tag-filter input", "jammy");
    expect(await page.locator("tbody[data-tag]").evaluateAll((tbodies) => tbodies.map((t) => t.getAttribute("data-tag")))).toEqual(["jammy"]);

    await page.goto(`${worker}/#/image?image=nobody/nothing`);
    const error = await page.waitForSelector(".image-page .error");
    expect(await error.textContent()).toMatch(/nobody\/nothing was not found on Docker Hub/i);
    expect(await page.locator(".image-page button:text-is('Try again')").count()).toBe(1);
  });
});
