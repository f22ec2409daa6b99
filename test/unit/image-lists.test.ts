// The shared readers of a bundle's images, which the CLI's -f and the app's Bundle mode
// both use: a plain list (one reference per line, # comments), what tells it from a
// Compose file, the bundle's file name, and Compose in strict mode (the browser, which
// has no environment: a default is used, a variable without one is refused by name).
import { describe, expect, it } from "vitest";
import { composeImages } from "../../shared/compose.ts";
import { bundleFileName, isComposeFile, readImageList } from "../../shared/image-list.ts";

describe("readImageList", () => {
  it("reads one reference a line, skipping comments and blank lines, keeping line numbers and names as written", () => {
    const text = "# what the stack needs\n\nnginx:1.27   # web\r\n  ghcr.io/Owner/App:1.0\n#redis:7\nbusybox@sha256:" + "a".repeat(64) + "\n";
    expect(readImageList(text, "images.txt")).toEqual({
      images: [
        { reference: "nginx:1.27", line: 3 },
        { reference: "ghcr.io/Owner/App:1.0", line: 4 },
        { reference: `busybox@sha256:${"a".repeat(64)}`, line: 6 },
      ],
      problems: [],
    });
  });
  it("reports every line of more than one word, naming the file, line and text, and keeps the good lines", () => {
    const { images, problems } = readImageList("nginx:1.27\nredis 7\nalpine\nfoo bar baz\n", "the list");
    expect(images.map((i) => i.reference)).toEqual(["nginx:1.27", "alpine"]);
    expect(problems.map((p) => ({ code: p.code, key: p.key, params: p.params, message: p.message }))).toEqual([
      { code: "BAD_IMAGE_LIST", key: "BAD_IMAGE_LIST.words", params: { file: "the list", line: "2", text: "redis 7" }, message: 'the list line 2 holds more than one word: "redis 7"' },
      { code: "BAD_IMAGE_LIST", key: "BAD_IMAGE_LIST.words", params: { file: "the list", line: "4", text: "foo bar baz" }, message: 'the list line 4 holds more than one word: "foo bar baz"' },
    ]);
  });
  it("an empty or comment-only text names nothing, and is no problem by itself", () => {
    expect(readImageList("\n# nothing yet\n  \n", "images.txt")).toEqual({ images: [], problems: [] });
  });
});

describe("isComposeFile and bundleFileName", () => {
  it.each([
    ["compose.yaml", "", true],
    ["docker-compose.YML", "", true],
    ["stack", "name: x\nservices:\n  a:\n    image: b\n", true],
    ["images.txt", "nginx:1.27\n", false],
    ["images.txt", "# services: none\nnginx\n", false],
  ])("%s holding %j is a Compose file: %s", (file, text, expected) => {
    expect(isComposeFile(file, text)).toBe(expected);
  });
  it.each([
    [undefined, "bundle.tar"],
    ["compose.yaml", "compose.tar"],
    ["images.txt", "images.tar"],
    ["my stack.yml", "my_stack.tar"],
    [".yaml", "bundle.tar"],
  ])("%s → %s", (base, expected) => {
    expect(bundleFileName(base)).toBe(expected);
  });
});

describe("composeImages in strict mode (no environment)", () => {
  const text = [
    "services:",
    "  web:",
    "    image: nginx:${TAG:-1.27}",
    "    platform: ${WEB_PLATFORM-linux/arm64}",
    "  db:",
    "    image: postgres:16",
  ].join("\n");
  it("uses each variable's default", () => {
    expect(composeImages(text, "compose.yaml", {}, { strict: true }).images).toEqual([
      { service: "web", image: "nginx:1.27", platform: "linux/arm64" },
      { service: "db", image: "postgres:16" },
    ]);
  });
  it("refuses a variable with no default, naming the service and the variable", () => {
    const broken = "services:\n  api:\n    image: ghcr.io/Shop/api:${API_TAG}\n";
    expect(() => composeImages(broken, "compose.yaml", {}, { strict: true })).toThrow(
      expect.objectContaining({
        code: "BAD_IMAGE_LIST", key: "BAD_IMAGE_LIST.no_default", params: { file: "compose.yaml", service: "api", variable: "API_TAG" },
        message: "compose.yaml: service api uses the variable API_TAG, which has no value here and no default",
      }),
    );
    // Not strict (the CLI): an unset variable is empty, as docker compose makes it.
    expect(composeImages(broken, "compose.yaml", {}).images[0].image).toBe("ghcr.io/Shop/api:");
  });
  it("keys its other refusals, so the app can word them in Chinese", () => {
    expect(() => composeImages("services:\n  a:\n    image: [x]\n", "c.yaml", {}, { strict: true })).toThrow(
      expect.objectContaining({ key: "BAD_IMAGE_LIST.not_string", params: { file: "c.yaml", service: "a", field: "image" } }),
    );
    expect(() => composeImages("version: '3'\n", "c.yaml", {}, { strict: true })).toThrow(expect.objectContaining({ key: "BAD_IMAGE_LIST.no_services" }));
  });
});
