// What the app says, end to end in headless Chromium: an error keeps every name exactly
// as typed (no capital letter added), the Chinese UI words the error itself and not only
// its hint, a wrong password is not answered with "enter your credentials", a lookup
// while offline says "offline", and the language is stored only once the person picks one.
import type { Page } from "playwright-core";
import { describe, expect } from "vitest";
import { harness, worker } from "../harness/injected.ts";
import { fillCredentials, openApp, typeReference } from "./app-page.ts";
import { test } from "./browser-test.ts";

async function lookupError(page: Page): Promise<{ code: string; message: string; hint: string; detail: string }> {
  const error = await page.waitForSelector(".lookup .error", { timeout: 20_000 });
  return {
    code: (await error.getAttribute("data-code")) ?? "",
    message: (await error.$eval(".error-message", (p) => p.textContent ?? "")) ?? "",
    hint: (await error.$eval(".hint", (p) => p.textContent ?? "").catch(() => "")) ?? "",
    detail: (await error.$eval(".error-detail", (p) => p.textContent ?? "").catch(() => "")) ?? "",
  };
}

const storedLang = (page: Page) => page.evaluate(() => localStorage.getItem("dockerdl.lang"));

describe("messages", () => {
  test("keep names as typed, and the language is stored only when picked", async ({ browser, page }) => {
    await openApp(page, worker);
    expect(await storedLang(page)).toBeNull();
    await typeReference(page, "test/nothing-here:v1");
    const error = await lookupError(page);
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message.startsWith("test/nothing-here:v1 was not found on ")).toBe(true);

    await page.reload();
    await page.waitForSelector("#reference");
    expect(await storedLang(page)).toBeNull();
    await page.selectOption("select[aria-label=Language]", "zh");
    expect(await storedLang(page)).toBe("zh");
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    await page.reload();
    await page.waitForSelector("#reference");
    expect(await page.getAttribute("html", "lang")).toBe("zh-CN");
    expect(browser.errors).toEqual([]);
  });

  test("are Chinese in the Chinese UI, names unchanged, errors and hints alike", async ({ page }) => {
    // The language picked in the test before is still stored.
    await openApp(page, worker);
    await typeReference(page, "test/nothing-here:v1");
    const notFound = await lookupError(page);
    expect(notFound.message).toMatch(/^在 127\.0\.0\.1:\d+ 上找不到 test\/nothing-here:v1$/);
    expect(notFound.hint).toContain("标签区分大小写");
    expect(notFound.detail).toBe("");

    await typeReference(page, "test/Upper:v1");
    const invalid = (await page.textContent("#reference-error")) ?? "";
    expect(invalid).toContain("“test/Upper” 无效：仓库名必须是小写");
    expect(invalid).not.toMatch(/must be|write it/);

    await typeReference(page, "private/secret:v1");
    const refused = await lookupError(page);
    expect(refused.code).toBe("UNAUTHORIZED");
    expect(refused.message).toContain("拒绝访问 private/secret:v1");
    expect(refused.hint).toContain("请展开“凭据”");
    await page.selectOption("select[aria-label=语言]", "en");
  });

  test("after a wrong password, point at the password rather than ask for credentials", async ({ page }) => {
    await openApp(page, worker);
    await typeReference(page, "private/secret:v1");
    const anonymous = await lookupError(page);
    expect(anonymous.hint).toMatch(/open Credentials and enter/);
    await fillCredentials(page, harness.user.username, "not-the-password");
    await page.waitForFunction(() => !document.querySelector(".lookup .error")?.textContent?.includes("open Credentials and enter"), null, { timeout: 20_000 });
    const wrong = await lookupError(page);
    expect(wrong.code).toBe("UNAUTHORIZED");
    expect(wrong.hint).toMatch(/check the username and password/);
    expect(wrong.hint).not.toMatch(/enter a username/);
  });

  test("say offline when a lookup fails without a network, in English and in Chinese", async ({ browser, page }) => {
    await openApp(page, worker);
    await browser.context.setOffline(true);
    try {
      await typeReference(page, "test/single:v1");
      const offline = await lookupError(page);
      expect(offline.code).toBe("NETWORK");
      expect(offline.message).toMatch(/^You are offline/);
      expect(offline.hint).toMatch(/connect to the network/);
      await page.selectOption("select[aria-label=Language]", "zh");
      await page.waitForSelector(".lookup .error .error-message:has-text('离线')");
    } finally {
      await browser.context.setOffline(false);
    }
  });
});
