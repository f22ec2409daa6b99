// The images a Compose file names, as `docker compose pull` reads them: anchors and merge
// keys, every quoting style, a service's platform, and Compose's variable interpolation.
import { describe, expect, it } from "vitest";
import { composeImages, interpolate } from "../../cli/compose.ts";

const bad = (message: string) => new Error(message);

describe("interpolate", () => {
  const vars = { TAG: "1.27", EMPTY: "" };
  it.each([
    ["nginx:${TAG}", "nginx:1.27"],
    ["nginx:$TAG", "nginx:1.27"],
    ["nginx:${UNSET:-latest}", "nginx:latest"],
    ["nginx:${EMPTY:-latest}", "nginx:latest"],
    ["nginx:${EMPTY-latest}", "nginx:"],
    ["nginx:${UNSET-latest}", "nginx:latest"],
    ["nginx:${TAG:?set TAG}", "nginx:1.27"],
    ["price$$tag", "price$tag"],
    ["nginx:${UNSET}", "nginx:"],
  ])("%s → %s", (text, expected) => {
    expect(interpolate(text, vars, bad)).toBe(expected);
  });
  it("${VAR:?message} fails when unset or empty, naming the variable", () => {
    expect(() => interpolate("nginx:${EMPTY:?set it}", vars, bad)).toThrow("variable EMPTY is not set: set it");
  });
});

describe("composeImages", () => {
  it("reads every service's image and platform, through anchors, merge keys and flow mappings", () => {
    const text = [
      "name: shop",
      "x-defaults: &defaults",
      "  platform: linux/arm64",
      "  restart: always",
      "services:",
      "  web: { image: 'nginx:1.27', ports: ['80:80'] }",
      "  api:",
      "    <<: *defaults",
      '    image: "ghcr.io/shop/api:${API_TAG:-2.0}"',
      "  worker:",
      "    build:",
      "      context: ./worker",
      "  cache:",
      "    image: redis:7 # pinned",
      "    platform: linux/amd64",
    ].join("\n");
    expect(composeImages(text, "compose.yaml", {})).toEqual({
      images: [
        { service: "web", image: "nginx:1.27" },
        { service: "api", image: "ghcr.io/shop/api:2.0", platform: "linux/arm64" },
        { service: "cache", image: "redis:7", platform: "linux/amd64" },
      ],
      builtOnly: ["worker"],
    });
  });
  it.each([
    ["version: '3'\n", /has no "services:" section/],
    ["services: [a, b]\n", /has no "services:" section/],
    ["services:\n  a:\n    image: [x]\n", /the image of service a is not a string/],
    ["services:\n  a: {image: x\n", /is not valid YAML/],
  ])("refuses %j clearly", (text, message) => {
    expect(() => composeImages(text, "compose.yaml", {})).toThrow(message);
  });
});
