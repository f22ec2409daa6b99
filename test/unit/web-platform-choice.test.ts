// The platform the web form selects after a lookup (web/page/image-form/platform-choice.ts):
// one from the address is read as the CLI reads --platform and never swapped for another;
// one the image lacks is no selection plus the error listing what it offers.
import { describe, expect, it } from "vitest";
import type { Platform } from "../../shared/platform.ts";
import { choosePlatform } from "../../web/page/image-form/platform-choice.ts";
import { PLATFORM_CASES } from "./platform-cases.ts";

const multi: Platform[] = [
  { os: "linux", architecture: "amd64" },
  { os: "linux", architecture: "arm64", variant: "v8" },
  { os: "linux", architecture: "arm", variant: "v7" },
];

describe("choosing the platform the address asks for", () => {
  it.each([
    ["linux/arm64", "linux/arm64/v8"],
    ["arm64", "linux/arm64/v8"],
    ["aarch64", "linux/arm64/v8"],
    ["linux/arm64/v8", "linux/arm64/v8"],
    ["Linux/ARM64", "linux/arm64/v8"],
    ["arm", "linux/arm/v7"],
    ["x86_64", "linux/amd64"],
    ["linux/amd64", "linux/amd64"],
  ])("%s selects %s", (asked, selected) => {
    expect(choosePlatform(multi, asked, "linux/amd64", "test/multi:v1")).toEqual({ platform: selected });
  });

  // An image that offers every platform the shared table reads something as.
  const everything: Platform[] = [
    { os: "linux", architecture: "amd64" }, { os: "linux", architecture: "arm64", variant: "v8" }, { os: "linux", architecture: "arm", variant: "v7" },
    { os: "linux", architecture: "arm", variant: "v6" }, { os: "linux", architecture: "ppc64le" }, { os: "windows", architecture: "amd64" },
  ];
  const offered = (platform: string) => (platform === "linux/arm64" ? "linux/arm64/v8" : platform);
  it.each(PLATFORM_CASES.filter((c) => c.platform !== undefined))("the shared table: $input selects $platform", ({ input, platform }) => {
    expect(choosePlatform(everything, input, "linux/amd64", "x")).toEqual({ platform: offered(platform!) });
  });
  it.each(PLATFORM_CASES.filter((c) => c.refused !== undefined))("the shared table: $input is refused ($refused)", ({ input, refused }) => {
    expect(choosePlatform(everything, input, "linux/amd64", "x")).toMatchObject({ platform: "", error: { code: "BAD_PLATFORM", key: `BAD_PLATFORM.${refused}` } });
  });

  it("selects nothing for a platform the image lacks, and says what it offers", () => {
    const choice = choosePlatform(multi, "linux/ppc64le", "linux/amd64", "test/multi:v1");
    expect(choice.platform).toBe("");
    expect(choice.error).toMatchObject({
      code: "PLATFORM_NOT_AVAILABLE",
      key: "PLATFORM_NOT_AVAILABLE.offers",
      params: { platform: "linux/ppc64le", image: "test/multi:v1", offers: "linux/amd64, linux/arm64/v8, linux/arm/v7" },
    });
  });

  it("selects nothing for text that is no platform", () => {
    const choice = choosePlatform(multi, "linux/arm64/v8/extra", "linux/amd64", "test/multi:v1");
    expect(choice).toMatchObject({ platform: "", error: { code: "BAD_PLATFORM", params: { platform: "linux/arm64/v8/extra" } } });
  });

  it("keeps the current choice, else linux/amd64, else the first, when nothing is asked", () => {
    expect(choosePlatform(multi, undefined, "linux/arm/v7", "x")).toEqual({ platform: "linux/arm/v7" });
    expect(choosePlatform(multi, undefined, "", "x")).toEqual({ platform: "linux/amd64" });
    expect(choosePlatform(multi.slice(1), "", "", "x")).toEqual({ platform: "linux/arm64/v8" });
  });
});
