// What the app's Bundle form lists before any lookup (web/page/download/bundle/bundle-rows.ts):
// the box's lines and a picked file's images (a Compose file's services with their
// platforms, or a list), each naming where it came from, a problem per line or service
// in shared/'s keyed words, repeats kept once, names as written, and the file name.
import { describe, expect, it } from "vitest";
import { bundleRows } from "../../web/page/download/bundle/bundle-rows.ts";

const plain = (rows: ReturnType<typeof bundleRows>["rows"]) => rows.map((r) => ({ origin: r.origin, reference: r.reference, platform: r.platform, key: r.error?.key }));

describe("bundleRows", () => {
  it("lists the box's lines, then the Compose file's services with their platforms; bundle.tar for both", () => {
    const compose = "services:\n  web:\n    image: nginx:${TAG:-1.27}\n    platform: linux/arm64\n  app:\n    build: .\n  db:\n    image: postgres:16\n";
    const out = bundleRows("redis:7\n# cache\nredis:7\n", { name: "compose.yaml", text: compose });
    expect(plain(out.rows)).toEqual([
      { origin: { line: 1 }, reference: "redis:7", platform: undefined, key: undefined },
      { origin: { file: "compose.yaml", service: "web" }, reference: "nginx:1.27", platform: "linux/arm64", key: undefined },
      { origin: { file: "compose.yaml", service: "db" }, reference: "postgres:16", platform: undefined, key: undefined },
    ]);
    expect(out.builtOnly).toEqual(["app"]);
    expect(out.fileName).toBe("bundle.tar");
    expect(bundleRows("", { name: "compose.yaml", text: compose }).fileName).toBe("compose.tar");
  });

  it("gives each bad line its own problem, in line order, names unchanged", () => {
    const out = bundleRows("nginx:1.27\nredis 7\nUpper/Case:v1\n", undefined);
    expect(plain(out.rows)).toEqual([
      { origin: { line: 1 }, reference: "nginx:1.27", platform: undefined, key: undefined },
      { origin: { line: 2 }, reference: "redis 7", platform: undefined, key: "BAD_IMAGE_LIST.words" },
      { origin: { line: 3 }, reference: "Upper/Case:v1", platform: undefined, key: "BAD_REFERENCE.uppercase" },
    ]);
    expect(out.rows[2].error?.message).toContain('"Upper/Case"');
  });

  it("reads a list file by its lines, and a Compose file it cannot read as the file's problem", () => {
    expect(plain(bundleRows("", { name: "images.txt", text: "# x\nalpine:3\n" }).rows)).toEqual([
      { origin: { line: 2, file: "images.txt" }, reference: "alpine:3", platform: undefined, key: undefined },
    ]);
    const broken = bundleRows("alpine:3", { name: "compose.yaml", text: "services:\n  api:\n    image: api:${API_TAG}\n" });
    expect(broken.fileError).toMatchObject({ key: "BAD_IMAGE_LIST.no_default", params: { service: "api", variable: "API_TAG" } });
    expect(broken.rows.map((r) => r.reference)).toEqual(["alpine:3"]);
  });

  it("restores a bundle from history with the platforms it had", () => {
    const out = bundleRows("", { name: "bundle.tar", images: [{ reference: "a:1", platform: "linux/arm64/v8" }, { reference: "b:2", platform: "linux/amd64" }] });
    expect(plain(out.rows).map((r) => [r.reference, r.platform])).toEqual([["a:1", "linux/arm64/v8"], ["b:2", "linux/amd64"]]);
    expect(out.fileName).toBe("bundle.tar");
  });
});
