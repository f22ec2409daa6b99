// The `test` the end-to-end suites write their tests with: the harness's shared fixtures
// plus a headless Chromium (browser.ts) and its page. The browser is launched once per
// file, when a test first asks for it (a launch per test would make the suite far
// slower), and closed after the file's last test; tests of a file share its one page.
// browserTest(options) gives the same with other launch options. `dialogs` collects
// the messages of the dialogs (alert, confirm) the page opens during a test, dismissed.
import type { Dialog, Page } from "playwright-core";
import { test as base } from "../harness/fixtures-vitest.ts";
import { launch, type Browser, type LaunchOptions } from "./browser.ts";

export function browserTest(options: LaunchOptions = {}) {
  return base.extend<{ $test: { page: Page; dialogs: string[] }; $file: { browser: Browser } }>({
    browser: [
      async ({}, use) => {
        const browser = await launch(options);
        await use(browser);
        await browser.close();
      },
      { scope: "file" },
    ],
    page: async ({ browser }, use) => {
      await use(await browser.newPage());
    },
    dialogs: async ({ page }, use) => {
      const dialogs: string[] = [];
      const dismiss = (dialog: Dialog) => {
        dialogs.push(dialog.message());
        void dialog.dismiss();
      };
      page.on("dialog", dismiss);
      await use(dialogs);
      page.off("dialog", dismiss);
    },
  });
}

export const test = browserTest();
