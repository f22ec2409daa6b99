// Each cause its own remedy (shared/hints.ts, #28): the table's keys have Chinese words
// with the same names in them, inserted as given; and each place that meets a cause
// (a registry's answer, a failed connection, a missing tag or repository, a cancelled
// download, the web app's offline search) gives that cause's key, not a neighbour's.
import { describe, expect, it } from "vitest";
import { DockerdlError } from "../../shared/errors.ts";
import { CAUSES, causeError, fillTemplate, placeholders, type CauseKey } from "../../shared/hints.ts";
import { parseReference } from "../../shared/reference.ts";
import { errorFromResponse, networkError, ThroughProxyError } from "../../shared/registry/errors.ts";
import { explainNotFound, nearestTags, type TagLister } from "../../shared/registry/not-found.ts";
import { notServed } from "../../shared/registry/not-served.ts";
import { cancelled } from "../../shared/retry.ts";
import { errorInfoOf } from "../../web/lib/errors.ts";
import { errorText } from "../../web/page/i18n/error-text.ts";
import { ZH_MESSAGES } from "../../web/page/i18n/error-words.ts";

const KEYS = Object.keys(CAUSES) as CauseKey[];
/** Names with capitals and punctuation, which no wording may re-case or translate. */
const sample = (key: CauseKey) => Object.fromEntries(placeholders(CAUSES[key].message + CAUSES[key].hint).map((name) => [name, `Name-${name}.IO/x`]));

describe("the table of causes, in both languages", () => {
  it.each(KEYS)("%s has Chinese words naming only the English message's names", (key) => {
    const zh = ZH_MESSAGES[key];
    expect(zh, `ZH_MESSAGES["${key}"]`).toBeDefined();
    expect(placeholders(CAUSES[key].message)).toEqual(expect.arrayContaining(placeholders(zh)));
  });

  it.each(KEYS)("%s: the names go into the message and hint unchanged, in English and Chinese", (key) => {
    const params = sample(key);
    const info = errorInfoOf(causeError(key, params));
    expect(info).toMatchObject({ code: CAUSES[key].code, key, params });
    for (const lang of ["en", "zh"] as const) {
      const text = errorText(info, lang);
      expect(text.message).not.toMatch(/\{\w+\}/);
      expect(text.hint, `${lang} hint`).toBeTruthy();
      expect(text.hint).not.toMatch(/\{\w+\}/);
      for (const name of placeholders(lang === "zh" ? ZH_MESSAGES[key] : CAUSES[key].message)) expect(text.message).toContain(params[name]);
    }
    expect(/[\u4e00-\u9fff]/.test(errorText(info, "zh").message)).toBe(true);
  });

  it("fills placeholders as given and leaves unknown ones as written", () => {
    expect(fillTemplate("{a} and {b}", { a: "Quay.IO" })).toBe("Quay.IO and {b}");
  });
});

const mirrorAnswer = () => new Response(JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message: 'registry "quay.io" is not configured on this mirror; it serves: docker.io, ghcr.io. The operator can add it to UPSTREAMS.' }] }), { status: 404 });
const refused = (code = "ECONNREFUSED") => new TypeError("fetch failed", { cause: Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code }) });

describe("each cause gives its own remedy", () => {
  it("a registry the mirror does not serve: add it to UPSTREAMS, nothing about the name", async () => {
    const error = await errorFromResponse(mirrorAnswer(), "quay.io/foo/bar:1", "mirror.example");
    expect(error).toMatchObject({
      code: "UNKNOWN_REGISTRY", key: "UNKNOWN_REGISTRY.not_served", status: 404,
      params: { host: "mirror.example", registry: "quay.io", known: "docker.io, ghcr.io" },
      message: "the mirror mirror.example does not serve registry quay.io; it serves docker.io, ghcr.io",
    });
    expect(error.hint).toContain("add quay.io to UPSTREAMS");
    expect(error.hint).not.toMatch(/check the name/);
  });

  it("a registry the mirror does not serve, told by the marker in `detail`, whatever the message says", async () => {
    const answer = new Response(JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message: "nope", detail: notServed("quay.io", ["docker.io", "ghcr.io"]).detail }] }), { status: 404 });
    const error = await errorFromResponse(answer, "quay.io/foo/bar:1", "mirror.example");
    expect(error).toMatchObject({ code: "UNKNOWN_REGISTRY", key: "UNKNOWN_REGISTRY.not_served", params: { registry: "quay.io", known: "docker.io, ghcr.io" } });
  });

  it("the marker's message is the wording older clients recognise", async () => {
    const { message } = notServed("quay.io", ["docker.io", "ghcr.io"]);
    const error = await errorFromResponse(new Response(JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message }] }), { status: 404 }), "quay.io/foo/bar:1", "mirror.example");
    expect(error.key).toBe("UNKNOWN_REGISTRY.not_served");
  });

  it("a detail that is not the marker (another registry's, or a malformed one) is a plain not found", async () => {
    for (const detail of [{ reason: "REGISTRY_NOT_SERVED", registry: "quay.io" }, { name: "foo/bar" }, "REGISTRY_NOT_SERVED"]) {
      const error = await errorFromResponse(new Response(JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message: "repository name not known", detail }] }), { status: 404 }), "quay.io/foo/bar:1", "registry.example");
      expect(error.code).toBe("NOT_FOUND");
    }
  });

  it("an unreachable loopback or plain-http registry: no --insecure (it is plain http already)", () => {
    for (const [host, url] of [["localhost:5000", undefined], ["127.0.0.1:9", undefined], ["[::1]:5000", undefined], ["registry.lan:5000", "http://registry.lan:5000/v2/"]] as const) {
      const error = networkError(refused(), host, "x", url);
      expect(error.key).toBe("NETWORK.unreachable_http");
      expect(error.hint).not.toContain("--insecure");
    }
  });

  it("an unreachable https registry: --insecure is offered, in case it speaks plain http", () => {
    const error = networkError(refused(), "registry.lan:5000", "x", "https://registry.lan:5000/v2/");
    expect(error.key).toBe("NETWORK.unreachable");
    expect(error.hint).toContain("--insecure");
  });

  it("a dead proxy: named, with the variable it came from", () => {
    const error = networkError(new ThroughProxyError(refused(), "http://127.0.0.1:9", "HTTPS_PROXY"), "ghcr.io", "ghcr.io/a/b:1", "https://ghcr.io/v2/");
    expect(error).toMatchObject({ code: "NETWORK", key: "NETWORK.proxy", params: { proxy: "http://127.0.0.1:9", variable: "HTTPS_PROXY", host: "ghcr.io" } });
    expect(error.message).toBe("could not reach ghcr.io through the proxy http://127.0.0.1:9 (from HTTPS_PROXY) while fetching ghcr.io/a/b:1: fetch failed: connect ECONNREFUSED 127.0.0.1:9");
    expect(error.hint).toContain("HTTPS_PROXY");
    expect(error.hint).not.toContain("--insecure");
  });

  it("a cancelled download carries no resume advice of its own (the CLI adds it once, where it can resume)", () => {
    const controller = new AbortController();
    controller.abort();
    expect(cancelled(controller.signal).hint).toBeUndefined();
  });

  it("the web app's search while offline says what it needs, nothing about resuming", () => {
    const info = errorInfoOf(new DockerdlError("NETWORK", "Failed to fetch", { key: "NETWORK.api" }));
    for (const online of [false, true]) {
      expect(errorText(info, "en", online).hint).toMatch(/the Worker/);
      expect(errorText(info, "en", online).hint).not.toMatch(/resum|continue/i);
      expect(errorText(info, "zh", online).hint).toMatch(/Worker/);
      expect(errorText(info, "zh", online).hint).not.toMatch(/继续/);
    }
  });
});

describe("a missing image: its tag or its repository", () => {
  const notFound = new DockerdlError("NOT_FOUND", "x was not found", { key: "NOT_FOUND.missing" });
  const lister = (answer: string[] | Error): TagLister & { asked: number } => ({
    asked: 0,
    async listTags() {
      this.asked++;
      if (answer instanceof Error) throw answer;
      return { tags: answer, truncated: false };
    },
  });

  it("a tag the repository lacks: the close tags it has, and dockerdl tags", async () => {
    const tags = lister(["3.19", "3.20", "3.21", "edge", "latest"]);
    const error = await explainNotFound(notFound, parseReference("alpine:3.2O"), tags, "docker.io");
    expect(error).toMatchObject({ key: "NOT_FOUND.tag_nearby", params: { repository: "alpine", tag: "3.2O", nearby: "3.20, 3.21, 3.19" } });
    expect((error as DockerdlError).hint).toBe("tags are case-sensitive; list them all with: dockerdl tags alpine");
    expect(tags.asked).toBe(1);
  });

  it("a tag with nothing close: dockerdl tags alone", async () => {
    const error = await explainNotFound(notFound, parseReference("ghcr.io/o/app:nightly-2024"), lister(["v1", "v2"]), "ghcr.io");
    expect(error).toMatchObject({ key: "NOT_FOUND.tag", message: "ghcr.io/o/app has no tag nightly-2024" });
  });

  it("a repository that does not exist: check the spelling, and Search", async () => {
    const error = await explainNotFound(notFound, parseReference("alpnie:3.20"), lister(new DockerdlError("NOT_FOUND", "no such repository")), "docker.io");
    expect(error).toMatchObject({ key: "NOT_FOUND.repository", message: "alpnie does not exist on docker.io" });
    expect((error as DockerdlError).hint).toMatch(/spelling.*Search/);
  });

  it("keeps the error when the tag exists (something else was missing), for a digest, or when listing fails otherwise", async () => {
    expect(await explainNotFound(notFound, parseReference("alpine:3.20"), lister(["3.20"]), "docker.io")).toBe(notFound);
    const byDigest = lister(["3.20"]);
    expect(await explainNotFound(notFound, parseReference(`alpine@sha256:${"a".repeat(64)}`), byDigest, "docker.io")).toBe(notFound);
    expect(byDigest.asked).toBe(0);
    expect(await explainNotFound(notFound, parseReference("alpine:x"), lister(new DockerdlError("UNAUTHORIZED", "no")), "docker.io")).toBe(notFound);
    const other = new DockerdlError("UPSTREAM", "503");
    expect(await explainNotFound(other, parseReference("alpine:x"), lister([]), "docker.io")).toBe(other);
  });

  it("close tags: within a third of the length (at least 2 edits), nearest first, at most five", () => {
    expect(nearestTags("v2", ["v1", "v10", "latest"])).toEqual(["v1", "v10"]);
    expect(nearestTags("1.27", ["1.27.1", "1.26", "1.2", "mainline", "1.27-alpine"])).toEqual(["1.26", "1.2", "1.27.1"]);
    expect(nearestTags("x", ["a", "b", "c", "d", "e", "f", "g"])).toHaveLength(5);
  });
});
