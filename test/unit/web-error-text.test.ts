// What the web app says for an error (web/page/i18n/error-text.ts): names are never
// re-cased or translated, the Chinese UI words every message, the hint fits what the
// person did, and a network failure while offline says "offline".
import { describe, expect, it } from "vitest";
import { BadReferenceError } from "../../shared/errors.ts";
import { parseReference } from "../../shared/reference.ts";
import { errorFromResponse, networkError } from "../../shared/registry/errors.ts";
import { errorInfoOf } from "../../web/lib/errors.ts";
import { errorText } from "../../web/page/i18n/error-text.ts";

const answer = (status: number, code: string) => new Response(JSON.stringify({ errors: [{ code, message: code.toLowerCase() }] }), { status });

describe("error text", () => {
  it("keeps the case of names in English and in Chinese", async () => {
    const info = errorInfoOf(await errorFromResponse(answer(404, "MANIFEST_UNKNOWN"), "test/x:v1", "quay.io"));
    const en = errorText(info, "en");
    expect(en.message.startsWith("test/x:v1")).toBe(true);
    expect(en.message).toContain("quay.io");
    const zh = errorText(info, "zh");
    expect(zh.message).toContain("test/x:v1");
    expect(zh.message).toContain("quay.io");
    expect(zh.message).not.toMatch(/was not found|refused/);
  });

  it("words a registry refusal in Chinese, translating the words around a blob's name", async () => {
    const info = errorInfoOf(await errorFromResponse(answer(401, "DENIED"), "blob sha256:abc of test/x:v1", "registry.example"));
    const zh = errorText(info, "zh");
    expect(zh.message).toBe("registry.example 拒绝访问 test/x:v1 的数据块 sha256:abc");
    expect(errorText(info, "en").message).toMatch(/^registry\.example refused access to blob sha256:abc of test\/x:v1/);
    expect(zh.detail).toBeUndefined();
    expect(zh.hint).toContain("凭据");
  });

  it("words each reference mistake in Chinese with the typed text unchanged", () => {
    for (const typed of ["Ubuntu:22.04", "has space", "a@b@c", "x:-bad", "UPPER/Name"]) {
      let info;
      try {
        parseReference(typed);
      } catch (error) {
        info = errorInfoOf(error);
      }
      expect(info?.key, typed).toMatch(/^BAD_REFERENCE\./);
      const zh = errorText(info!, "zh");
      expect(zh.message, typed).not.toMatch(/[a-z]{4,} [a-z]{4,}/i);
      expect(zh.detail).toBeUndefined();
    }
    expect(errorText(errorInfoOf(new BadReferenceError("x", undefined, "uppercase", { path: "Ubuntu" })), "zh").message).toContain("“Ubuntu”");
  });

  it("does not tell someone who entered credentials to enter credentials", () => {
    const rejected = { code: "UNAUTHORIZED", key: "UNAUTHORIZED.credentials", message: "registry.example rejected the username or password", params: { host: "registry.example" } };
    for (const lang of ["en", "zh"] as const) {
      const refused = errorText({ ...rejected, key: "UNAUTHORIZED.refused", params: { host: "h", what: "w" } }, lang).hint!;
      const wrong = errorText(rejected, lang).hint!;
      expect(wrong).not.toBe(refused);
      expect(wrong).toMatch(lang === "en" ? /check the username and password/ : /检查/);
      expect(wrong).not.toMatch(/enter a username|填写该仓库/);
    }
  });

  it("says offline for a network failure while offline, in both languages", () => {
    const info = errorInfoOf(networkError(new TypeError("Failed to fetch"), "127.0.0.1:8787", "test/x:v1"));
    expect(errorText(info, "en", false).message).toMatch(/offline/);
    expect(errorText(info, "en", false).hint).not.toMatch(/address/);
    expect(errorText(info, "zh", false).message).toContain("离线");
    expect(errorText(info, "en", true).message).toMatch(/could not reach 127\.0\.0\.1:8787/);
  });

  it("gives an error without its own Chinese words a general Chinese line and keeps the English as detail", () => {
    const zh = errorText({ code: "SOMETHING_NEW", message: "the thing broke" }, "zh");
    expect(zh.message).toBe("发生了意外错误");
    expect(zh.detail).toBe("the thing broke");
    expect(zh.hint).toBeUndefined();
  });
});
