// The extra download sources a person lists in the web app's settings (issue #29):
// which URLs are taken, in which form, and why the others are refused.
import { describe, expect, it } from "vitest";
import { checkSourceUrl } from "../../web/page/download/sources/source-urls.ts";

const OWN = "https://dockerdl.example.workers.dev";

describe("checkSourceUrl", () => {
  it.each([
    ["https://mirror.example.com", "https://mirror.example.com"],
    ["  https://mirror.example.com/  ", "https://mirror.example.com"],
    ["https://mirror.example.com/prefix/", "https://mirror.example.com/prefix"],
    ["http://localhost:8787", "http://localhost:8787"],
    ["http://127.0.0.1:5000/", "http://127.0.0.1:5000"],
  ])("takes %j as %j", (text, url) => {
    expect(checkSourceUrl(text, [], OWN)).toEqual({ ok: true, url });
  });

  it.each([
    ["not a url", "sources.invalid"],
    ["http://mirror.example.com", "sources.notHttps"],
    ["http://192.168.1.10:8787", "sources.notHttps"],
    ["ftp://mirror.example.com", "sources.notHttps"],
    ["https://mirror.example.com/?x=1", "sources.extra"],
    ["https://mirror.example.com/#top", "sources.extra"],
    ["https://user:secret@mirror.example.com", "sources.extra"],
    [`${OWN}/`, "sources.isOwn"],
  ])("refuses %j with %s", (text, key) => {
    const check = checkSourceUrl(text, [], OWN);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.key).toBe(key);
  });

  it("refuses a source already listed, however its slash is written", () => {
    const check = checkSourceUrl("https://mirror.example.com/", ["https://mirror.example.com"], OWN);
    expect(check).toMatchObject({ ok: false, key: "sources.duplicate" });
  });

  it("does not repeat a password typed into a refused URL (the refusal is shown on screen)", () => {
    const check = checkSourceUrl("https://user:secret@mirror.example.com", [], OWN);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(JSON.stringify(check.params)).not.toContain("secret");
  });
});
