// The app's pages are served (by Workers static assets, from web/public/_headers) with a
// restrictive Content-Security-Policy and nosniff, and the app runs under that policy
// without a single violation: looking an image up, its workers and service worker.
import { expect } from "vitest";
import { worker } from "../harness/injected.ts";
import { openApp, typeReference, waitForServiceWorker, waitForSummary } from "./app-page.ts";
import { test } from "./browser-test.ts";

test.for(["/", "/some/app/route", "/manifest.webmanifest", "/sw.js"])("%s carries the app's Content-Security-Policy and nosniff", async (path) => {
  const response = await fetch(new URL(path, worker));
  await response.body?.cancel();
  const csp = response.headers.get("content-security-policy") ?? "";
  expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval';/);
  expect(csp).toMatch(/object-src 'none'/);
  expect(csp).toMatch(/frame-ancestors 'none'/);
  expect(response.headers.get("x-content-type-options")).toBe("nosniff");
});

test("the app looks an image up under that policy without any violation", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Content-Security-Policy/i.test(message.text())) violations.push(message.text());
  });
  await openApp(page, worker);
  await waitForServiceWorker(page);
  await typeReference(page, "test/multi:v1");
  await waitForSummary(page);
  expect(violations).toEqual([]);
});
