// The PWA's File System Access download through the mirror (PLAN=paid) from the zoo's
// bad-day members (test/harness/zoo/members.ts, issue 25): a CDN that cuts each blob's
// first GET, tokens that live 2 s, 302s to signed URLs that expire in 2 s, a throttled
// CDN behind 3 s tokens and URLs, a registry that ignores Range. Each saved file loads
// with podman; the range-ignoring member sends each layer at most 1.2 times, though the
// app asks for ranges.
import { describe, expect } from "vitest";
import { BAD_DAY_MEMBERS, type Zoo } from "../harness/zoo/index.ts";
import { cacheKey, missingFromR2 } from "../harness/r2-cache.ts";
import { badDayZooFixture, mirrorName } from "../harness/zoo/vitest.ts";
import { clickDownload, openApp, saveWith, typeReference, waitForJobEnd, waitForSummary } from "./app-page.ts";
import { browserTest } from "./browser-test.ts";
import { copyFinishedFile, podmanLoad } from "./files.ts";

const test = browserTest().extend<{ $file: { zoo: Zoo } }>({ zoo: [badDayZooFixture, { scope: "file" }] });

describe("downloading from the zoo's bad-day members in the browser", () => {
  test.for(BAD_DAY_MEMBERS.map((m) => [m.id, m] as const))("%s: saves the image through the mirror, and it loads", async ([id, member], { browser, page, zoo }) => {
    zoo.state.reset();
    const { image } = zoo.members[id];
    await openApp(page, zoo.worker!.url);
    await typeReference(page, mirrorName(member));
    const summary = await waitForSummary(page);
    expect(summary.digest).toBe(image.image.manifest.digest);
    await saveWith(page, "file");
    await clickDownload(page);
    expect(await waitForJobEnd(page)).toBe("done");
    const file = await copyFinishedFile(page, `zoo-bad-day-${id}.tar`);
    expect(await podmanLoad(file)).toMatch(/Loaded image: /);
    expect(zoo.state.log.filter((e) => e.role.startsWith("hop") && e.authorization)).toEqual([]);
    const cut = member.quirks.cutFirstGetAfter;
    // Some layer's first GET ended part way (the cut sends a slice or two past its mark).
    if (cut !== undefined) expect(image.image.layers.some((l) => zoo.state.log.some((e) => e.member === id && e.path.includes(l.digest) && e.bytes >= cut && e.bytes < l.bytes.length))).toBe(true);
    if (member.quirks.ignoreRange) {
      // Counted once the mirror has cached the layers: a fill's read would count too.
      const layers = image.image.layers;
      await expect.poll(() => missingFromR2(zoo.worker!.url, layers.map((l) => cacheKey.blob(l.digest))), { timeout: 60_000 }).toEqual([]);
      for (const layer of layers) {
        const sent = zoo.state.log.filter((e) => e.member === id && e.path.includes(layer.digest)).reduce((n, e) => n + e.bytes, 0);
        expect(sent, `layer ${layer.digest}`).toBeLessThanOrEqual(layer.bytes.length * 1.2);
      }
    }
    expect(browser.errors).toEqual([]);
  });
});
