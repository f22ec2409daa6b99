// The PWA's File System Access download through the mirror from the Hub-like, ghcr-like
// and mcr-like members of the registry zoo (test/harness/zoo/): token realms on other
// hosts, blob redirects to signed CDN URLs, an OCI index with attestations, chunked
// blobs. Each saved file loads with podman; no Authorization reaches a redirect host.
import { describe, expect } from "vitest";
import { MEMBERS, mirrorName, zooFixture } from "../harness/zoo/vitest.ts";
import type { Zoo } from "../harness/zoo/index.ts";
import { choosePlatform, clickDownload, openApp, saveWith, typeReference, waitForJobEnd, waitForSummary } from "./app-page.ts";
import { browserTest } from "./browser-test.ts";
import { copyFinishedFile, podmanLoad } from "./files.ts";

const test = browserTest().extend<{ $file: { zoo: Zoo } }>({ zoo: [zooFixture, { scope: "file" }] });
const members = MEMBERS.filter((m) => ["hub", "ghcr", "mcr"].includes(m.id)).map((m) => [m.id, m] as const);

describe("downloading from the registry zoo in the browser", () => {
  test.for(members)("%s-like: saves the image through File System Access, and it loads", async ([, member], { browser, page, zoo }) => {
    const { image } = zoo.members[member.id];
    await openApp(page, zoo.worker!.url);
    await typeReference(page, mirrorName(member));
    if (member.index) expect(await choosePlatform(page, "linux/amd64")).toEqual(["linux/amd64", "linux/arm64/v8"]);
    const summary = await waitForSummary(page);
    expect(summary.digest).toBe(image.image.manifest.digest);
    expect(summary.layers).toBe(image.image.layers.length);
    await saveWith(page, "file");
    await clickDownload(page);
    expect(await waitForJobEnd(page)).toBe("done");
    const file = await copyFinishedFile(page, `zoo-${member.id}.tar`);
    expect(await podmanLoad(file)).toMatch(/Loaded image: /);
    expect(zoo.state.log.filter((e) => e.role.startsWith("hop") && e.authorization)).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
