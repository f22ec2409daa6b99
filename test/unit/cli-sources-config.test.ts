// Which sources a pull uses (cli/sources-config.ts): --mirror over DOCKERDL_MIRRORS over
// the config file; --proxy alone keeps its meaning; --no-direct and --trust checked;
// a bad environment variable or config file is refused with what to write instead.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseCommand, type PullCommand } from "../../cli/args.ts";
import { chooseSources } from "../../cli/sources-config.ts";

const home = mkdtempSync(join(tmpdir(), "dockerdl-sources-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function pullOf(...args: string[]): PullCommand {
  return parseCommand(["pull", "alpine", ...args]) as PullCommand;
}

/** An environment whose config file holds `config` (none when undefined). */
function envWith(config: string | undefined, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(home, "xdg-"));
  if (config !== undefined) {
    mkdirSync(join(dir, "dockerdl"));
    writeFileSync(join(dir, "dockerdl", "config.json"), config);
  }
  return { XDG_CONFIG_HOME: dir, ...extra };
}

describe("chooseSources", () => {
  it("takes --mirror over DOCKERDL_MIRRORS over the config file", async () => {
    const file = JSON.stringify({ mirrors: ["https://file.example.com"] });
    expect(await chooseSources(pullOf("--mirror", "https://flag.example.com/"), envWith(file, { DOCKERDL_MIRRORS: "https://env.example.com" })))
      .toEqual({ direct: true, mirrors: ["https://flag.example.com"], from: "--mirror" });
    expect((await chooseSources(pullOf(), envWith(file, { DOCKERDL_MIRRORS: "https://a.example.com, https://b.example.com" }))).mirrors)
      .toEqual(["https://a.example.com", "https://b.example.com"]);
    const fromFile = await chooseSources(pullOf(), envWith(file));
    expect(fromFile.mirrors).toEqual(["https://file.example.com"]);
    expect(fromFile.from).toMatch(/dockerdl\/config\.json$/);
    expect(await chooseSources(pullOf(), envWith(undefined))).toEqual({ direct: true, mirrors: [], from: "--mirror" });
  });

  it("keeps --proxy alone as it was (the mirror instead of the registry); with mirrors it is one source more", async () => {
    expect(await chooseSources(pullOf("--proxy", "https://w.example.com"), envWith(undefined))).toMatchObject({ direct: false, mirrors: ["https://w.example.com"] });
    expect(await chooseSources(pullOf("--proxy", "https://w.example.com", "--mirror", "https://m.example.com"), envWith(undefined)))
      .toMatchObject({ direct: true, mirrors: ["https://w.example.com", "https://m.example.com"] });
  });

  it("checks --no-direct and --trust against the sources", async () => {
    await expect(chooseSources(pullOf("--no-direct"), envWith(undefined))).rejects.toThrow(/--no-direct leaves no source/);
    await expect(chooseSources(pullOf("--mirror", "https://m.example.com", "--trust", "https://x.example.com"), envWith(undefined))).rejects.toThrow(/--trust https:\/\/x\.example\.com is not one of the sources/);
    expect((await chooseSources(pullOf("--mirror", "https://m.example.com", "--trust", "https://m.example.com/"), envWith(undefined))).trust).toBe("https://m.example.com");
    expect(() => pullOf("--mirror", "m.example.com")).toThrow(/--mirror "m\.example\.com" is not an http\(s\) URL/);
    expect(() => parseCommand(["tags", "alpine", "--mirror", "https://m.example.com"])).toThrow(/--mirror is an option of pull/);
  });

  it.each([
    ["not JSON", "{mirrors:", /is not JSON/],
    ["a list at the top", "[]", /is not a JSON object/],
    ["an unknown key", '{"mirror": []}', /has "mirror", which dockerdl does not know \(it knows mirrors\)/],
    ["a string for mirrors", '{"mirrors": "https://a.example.com"}', /"mirrors" that is not a list/],
    ["a name without a scheme", '{"mirrors": ["a.example.com"]}', /has "a\.example\.com" in "mirrors", which is not an http\(s\) URL/],
  ])("refuses a config file with %s, naming the file and the shape to write", async (_what, text, message) => {
    const error = (await chooseSources(pullOf(), envWith(text)).then(() => undefined, (e: unknown) => e)) as { code: string; message: string; hint: string };
    expect(error.code).toBe("USAGE");
    expect(error.message).toMatch(/the config file .*dockerdl\/config\.json/);
    expect(error.message).toMatch(message);
    expect(error.hint).toContain('{"mirrors": ["https://mirror.example.com"]}');
  });

  it("refuses DOCKERDL_MIRRORS naming something that is not a URL", async () => {
    await expect(chooseSources(pullOf(), envWith(undefined, { DOCKERDL_MIRRORS: "https://a.example.com ftp://b.example.com" }))).rejects.toThrow(/DOCKERDL_MIRRORS names "ftp:\/\/b\.example\.com", which is not an http\(s\) URL/);
  });
});
