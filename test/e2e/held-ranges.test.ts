// Ranges read whole (web/lib/held-bodies.ts), end to end in headless Chromium: a File
// System Access download of an image with one layer of 128 MiB of random bytes (eight
// of the engine's 16 MiB ranges), through the real Worker under `wrangler dev`. The
// first range is read whole as a probe of the origin's pace while the other four go
// piece by piece; over loopback it comes fast, and the ranges after the first five are
// read whole too: written to the picked file and hashed as Blobs, counted by the
// download worker's `dockerdlHeld`. Behind an upstream capped at half HELD_MIN_RATE per
// connection, the probe alone is read whole: the same layer, because with five ranges or
// fewer every range starts before the probe's pace is known. Either way the file equals
// the CLI's byte for byte and loads with podman: a range read whole must land at its
// place in the file and be hashed like any other.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect } from "vitest";
import { withOwnWorker } from "../harness/fixtures-vitest.ts";
import { HUB_KEY } from "../harness/harness.ts";
import { buildImage } from "../harness/image-builder.ts";
import { harness, worker } from "../harness/injected.ts";
import { pushOwnImage } from "../harness/push-own.ts";
import { startRelay, type Relay } from "../harness/relay.ts";
import { uncachedConfig } from "../harness/wrangler.ts";
import { clickDownload, openApp, saveWith, typeReference, waitForJobEnd, waitForSummary } from "./app-page.ts";
import { saveOpfsFile } from "./browser.ts";
import { test as base } from "./browser-test.ts";
import { RESULTS, cliPull, podmanLoad } from "./files.ts";

const REPOSITORY = "held/big";
const REFERENCE = `${REPOSITORY}:v1`;
const SAVED_AS = "held_big_v1_linux_amd64.tar";
/** Eight 16 MiB ranges: more than the five that start before the probe's pace is known. */
const LAYER_BYTES = 128 << 20;
/** Per connection behind the slow upstream: half HELD_MIN_RATE (8 MB/s); five connections take the layer's eight ranges in about 9 s. */
const SLOW_RATE = 4e6;

interface BigImage {
  layer: { digest: string; size: number };
  /** The CLI's download of it through the harness Worker: what the browser's files must equal. */
  cliFile: string;
}

interface SlowUpstream {
  /** A Worker of this file's own (no R2 cache: every range goes upstream) whose registry is behind `relay`. */
  url: string;
  relay: Relay;
}

/** Pushes held/big:v1, one layer of LAYER_BYTES random bytes; the layer (its bytes are let go). */
async function pushBigImage(): Promise<BigImage["layer"]> {
  const image = buildImage({ layers: [[{ path: "big.bin", content: new Uint8Array(randomBytes(LAYER_BYTES)) }]] });
  await pushOwnImage(REPOSITORY, image, "v1");
  const [layer] = image.layers;
  return { digest: layer!.digest, size: layer!.bytes.length };
}

const test = base.extend<{ $file: { big: BigImage; slow: SlowUpstream } }>({
  big: [
    async ({}, use) => {
      const layer = await pushBigImage();
      const cliFile = join(RESULTS, "cli-held-big.tar");
      await cliPull(worker, REFERENCE, undefined, cliFile);
      await use({ layer, cliFile });
    },
    { scope: "file" },
  ],
  slow: [
    async ({ tempDir }, use) => {
      const relay = await startRelay(harness.registry, { shaping: { perConnection: SLOW_RATE } });
      const options = {
        upstreams: { ...harness.upstreams, [HUB_KEY]: relay.url },
        vars: { RATE_LIMIT: "0" },
        persistDir: join(tempDir, "slow-state"),
        logDir: tempDir,
        name: "wrangler-slow-upstream",
        config: uncachedConfig(tempDir),
      };
      await withOwnWorker(options, (slowWorker) => use({ url: slowWorker.url, relay }));
      await relay.stop();
    },
    { scope: "file" },
  ],
});

/** The download worker's count of bodies read whole (its global `dockerdlHeld`). */
async function heldInDownloadWorker(page: Page): Promise<{ bodies: number; bytes: number }> {
  const counts = await Promise.all(page.workers().map(async (w) => ({
    url: w.url(),
    held: await w.evaluate(() => (globalThis as { dockerdlHeld?: { bodies: number; bytes: number } }).dockerdlHeld).catch(() => undefined),
  })));
  // The explore worker bundles the same module, with its own (unused) count.
  const download = counts.filter((c) => c.held !== undefined && c.url.includes("download.worker"));
  expect(download, `workers: ${JSON.stringify(counts)}`).toHaveLength(1);
  return download[0]!.held!;
}

/** Downloads the big image from `app` into a picked (OPFS) file; the file copied out as `name`. */
async function downloadBig(page: Page, app: string, name: string): Promise<string> {
  await openApp(page, app);
  // The picker reuses a file of the same name: none is left from an earlier run.
  await page.evaluate(async (saved) => (await navigator.storage.getDirectory()).removeEntry(saved).catch(() => {}), SAVED_AS);
  await typeReference(page, REFERENCE);
  await waitForSummary(page);
  await saveWith(page, "file");
  await clickDownload(page);
  expect(await waitForJobEnd(page)).toBe("done");
  expect(await page.textContent(".job .load-commands")).toContain(`docker load -i ${SAVED_AS}`);
  const file = join(RESULTS, name);
  await saveOpfsFile(page, SAVED_AS, file);
  return file;
}

describe("ranges read whole into Blobs", () => {
  test("over a fast loopback, the probe and the ranges after the first five are read whole, and the file equals the CLI's and loads", async ({ browser, page, big }) => {
    const file = await downloadBig(page, worker, "fsa-held-fast.tar");
    const held = await heldInDownloadWorker(page);
    expect(held.bodies).toBeGreaterThan(1);
    // Whole ranges of the one layer: at least 1 MiB each, never more than the layer.
    expect(held.bytes).toBeGreaterThanOrEqual(held.bodies * (1 << 20));
    expect(held.bytes).toBeLessThan(big.layer.size);

    expect(readFileSync(file).equals(readFileSync(big.cliFile))).toBe(true);
    expect(await podmanLoad(file)).toContain(`Loaded image: docker.io/${REFERENCE}`);
    expect(browser.errors).toEqual([]);
  });

  test("behind an upstream capped at 4 MB/s a connection (half the rate for a whole read), only the probe is read whole, and the file still equals the CLI's and loads", async ({ browser, page, big, slow }) => {
    slow.relay.reset();
    const file = await downloadBig(page, slow.url, "fsa-held-slow.tar");
    // The layer came through the capped relay, not from anywhere faster.
    expect(slow.relay.bytesFor(big.layer.digest)).toBeGreaterThanOrEqual(big.layer.size);
    expect(await heldInDownloadWorker(page)).toMatchObject({ bodies: 1, bytes: 16 << 20 });

    expect(readFileSync(file).equals(readFileSync(big.cliFile))).toBe(true);
    expect(await podmanLoad(file)).toContain(`Loaded image: docker.io/${REFERENCE}`);
    expect(browser.errors).toEqual([]);
  });
});
