// The seed API's refusals as the web app shows them: web/lib/errors.ts's apiAnswerError
// reads the Worker's {"error":{code,message,hint,key,params}}, and error-text.ts words it
// from the key in the app's language, the names unchanged; the English message is the
// fallback. Every key the Worker sends has Chinese words.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ApiErrorBody } from "../../shared/seed-api.ts";
import { apiAnswerError, errorInfoOf } from "../../web/lib/errors.ts";
import { errorText } from "../../web/page/i18n/error-text.ts";
import { ZH_MESSAGES } from "../../web/page/i18n/error-words.ts";

const root = join(import.meta.dirname, "..", "..");
const badGateway = { status: 502, statusText: "Bad Gateway" };

describe("seed-API errors in the web app", () => {
  it("words a refusal from its key in Chinese, with the names it carries unchanged", () => {
    const body: ApiErrorBody = {
      error: { code: "NOT_FOUND", message: "Grafana/Loki was not found on Docker Hub", key: "NOT_FOUND.hub_repository", params: { image: "Grafana/Loki" } },
    };
    const error = apiAnswerError(body, { status: 404, statusText: "Not Found" });
    expect(error).toMatchObject({ code: "NOT_FOUND", key: "NOT_FOUND.hub_repository", params: { image: "Grafana/Loki" } });
    const zh = errorText(errorInfoOf(error), "zh");
    expect(zh.message).toBe("在 Docker Hub 上找不到 Grafana/Loki");
    expect(zh.detail).toBeUndefined();
    expect(errorText(errorInfoOf(error), "en").message).toBe("Grafana/Loki was not found on Docker Hub");
  });

  it("fills numbers into the Chinese words and keeps the hint the app has for the key", () => {
    const body: ApiErrorBody = {
      error: { code: "RATE_LIMITED", message: "Docker Hub is rate limiting this mirror; retry after 30 s", key: "RATE_LIMITED.mirror_wait", params: { registry: "Docker Hub", seconds: "30" } },
    };
    const zh = errorText(errorInfoOf(apiAnswerError(body, { status: 429, statusText: "" })), "zh");
    expect(zh.message).toBe("Docker Hub 正在限制此镜像站的请求频率；请在 30 秒后重试");
    expect(zh.hint).toBe("请稍后重试");
  });

  it("falls back to the English message under a general Chinese line for a key it has no words for", () => {
    const body = { error: { code: "UPSTREAM", message: "something new went wrong", key: "UPSTREAM.brand_new", params: {} } };
    const zh = errorText(errorInfoOf(apiAnswerError(body, badGateway)), "zh");
    expect(zh.message).toBe(ZH_MESSAGES.UPSTREAM);
    expect(zh.detail).toBe("something new went wrong");
  });

  it("reads an answer without the API's body (a gateway's page) as its HTTP status", () => {
    expect(apiAnswerError(null, badGateway)).toMatchObject({ code: "HTTP_502", message: "the server answered 502 Bad Gateway" });
    expect(apiAnswerError({ error: { code: 7, params: "x" } }, badGateway)).toMatchObject({ code: "HTTP_502", key: undefined, params: undefined });
  });

  it("has Chinese words for every message key the Worker's seed API sends", () => {
    const files = [
      ...readdirSync(join(root, "proxy/api")).map((name) => `proxy/api/${name}`),
      "proxy/index.ts",
      "proxy/v2/errors.ts",
    ].filter((path) => path.endsWith(".ts"));
    const keys = new Set(files.flatMap((path) => [...readFileSync(join(root, path), "utf8").matchAll(/"([A-Z_]+\.[a-z_]+)"/g)].map((m) => m[1])));
    expect(keys.size).toBeGreaterThan(40);
    expect([...keys].filter((key) => ZH_MESSAGES[key] === undefined)).toEqual([]);
  });
});
