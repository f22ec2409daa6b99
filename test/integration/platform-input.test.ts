// The shared platform table (test/unit/platform-cases.ts) against the real callers: the
// CLI's --platform (dockerdl digest, against the harness registry) and /api/download's
// platform (the Worker under wrangler dev) read every row alike: the same manifest for
// what the multi-platform fixture offers, the same BAD_PLATFORM refusal for the rest.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ApiErrorBody } from "../../shared/seed-api.ts";
import { fixtureImage, harness, worker } from "../harness/injected.ts";
import { PLATFORM_CASES } from "../unit/platform-cases.ts";
import { hostOf, runCli } from "./cli-helpers.ts";

const workDir = mkdtempSync(join(tmpdir(), "dockerdl-platform-input-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const multi = fixtureImage("test/multi");
/** The fixture's manifest for a row's platform, as the fixture names it (arm64 is arm64/v8 there). */
const offered = (platform: string | undefined) => platform === undefined ? undefined : multi.platforms[platform === "linux/arm64" ? "linux/arm64/v8" : platform];
const served = PLATFORM_CASES.filter((c) => offered(c.platform) !== undefined);
const refused = PLATFORM_CASES.filter((c) => c.refused !== undefined);

describe("dockerdl --platform reads the shared table", () => {
  const image = `${hostOf(harness.registry)}/test/multi:v1`;
  it.each(served)("$input → $platform", async ({ input, platform }) => {
    const result = await runCli(["digest", image, "--platform", input], { cwd: workDir });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe(offered(platform));
  });
  it.each(refused)("$input is refused before any request ($refused)", async ({ input, suggestion }) => {
    const result = await runCli(["digest", "127.0.0.1:9/never/asked:v1", "--platform", input], { cwd: workDir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^dockerdl: error: .*(not a valid|not a runnable|architecture before)/);
    if (suggestion !== undefined) expect(result.stderr).toContain(`did you mean ${suggestion}?`);
  });
});

describe("/api/download's platform reads the shared table", () => {
  it.each(served)("$input → $platform", async ({ input, platform }) => {
    const response = await fetch(`${worker}/api/download?${new URLSearchParams({ image: "test/multi:v1", platform: input })}`);
    await response.body?.cancel();
    expect(response.status).toBe(200);
    expect(response.headers.get("x-image-digest")).toBe(offered(platform));
  });
  it.each(refused)("$input is refused with 400 BAD_PLATFORM.$refused", async ({ input, refused: key, suggestion }) => {
    const response = await fetch(`${worker}/api/download`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ image: "test/multi:v1", platform: input }) });
    const body = (await response.json()) as ApiErrorBody;
    expect(response.status).toBe(400);
    expect(body.error).toMatchObject({ code: "BAD_PLATFORM", key: `BAD_PLATFORM.${key}`, params: { platform: input.trim(), ...(suggestion === undefined ? {} : { suggestion }) } });
  });
});
