// Each cause its own hint (#28 point 3), from the real CLI against the harness: a registry
// the mirror does not serve, a tag or a repository that does not exist (directly and
// through the Worker), a dead HTTP proxy, and an unreachable loopback registry.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { harness, worker } from "../harness/injected.ts";
import { freePort } from "../harness/net.ts";
import { hostOf, runCli } from "./cli-helpers.ts";

const registry = hostOf(harness.registry);
const workDir = mkdtempSync(join(tmpdir(), "dockerdl-cli-hints-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** The environment without the machine's own proxy settings, plus `extra`. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(https?|no)_proxy$|^dockerdl_proxy$/i.test(k)));
  return { ...clean, ...extra };
}

/** The CLI's two lines: the error and its hint. */
async function refusal(args: string[], extra: Record<string, string> = {}): Promise<{ error: string; hint: string }> {
  const result = await runCli(args, { cwd: workDir, env: env(extra) });
  expect(result.code).toBe(1);
  expect(result.stdout).toBe("");
  const [error, hint, rest] = result.stderr.split("\n");
  expect(error).toMatch(/^dockerdl: error: /);
  expect(hint).toMatch(/^ {2}hint: /);
  expect(rest).toBe("");
  return { error: error.replace(/^dockerdl: error: /, ""), hint: hint.replace(/^ {2}hint: /, "") };
}

describe("each cause gets its own hint", () => {
  it("a registry the mirror does not serve: add it to UPSTREAMS, nothing about the name", async () => {
    const { error, hint } = await refusal(["pull", "quay.io/foo/bar:1", "--proxy", worker, "-o", join(workDir, "quay.tar")]);
    expect(error).toBe(`the mirror ${hostOf(worker)} does not serve registry quay.io; it serves ${Object.keys(harness.upstreams).join(", ")}`);
    expect(hint).toBe("ask the mirror's operator to add quay.io to UPSTREAMS, or pull it without --proxy");
  });

  it("a misspelt tag: the close tags the repository has, and dockerdl tags", async () => {
    const { error, hint } = await refusal(["pull", `${registry}/test/single:v2`, "-o", join(workDir, "v2.tar")]);
    expect(error).toBe(`${registry}/test/single has no tag v2; tags it has that are close: v1`);
    expect(hint).toBe(`tags are case-sensitive; list them all with: dockerdl tags ${registry}/test/single`);
  });

  it("a misspelt tag through the Worker, the same", async () => {
    const { error, hint } = await refusal(["pull", "test/single:v9", "--proxy", worker, "-o", join(workDir, "v9.tar")]);
    expect(error).toBe("test/single has no tag v9; tags it has that are close: v1");
    expect(hint).toContain("dockerdl tags test/single");
  });

  it("a misspelt repository, for tags and for pull: check the spelling", async () => {
    for (const args of [["tags", "test/singel", "--proxy", worker], ["pull", `${registry}/test/singel:v1`, "-o", join(workDir, "singel.tar")]]) {
      const { error, hint } = await refusal(args);
      expect(error).toMatch(/test\/singel does not exist on /);
      expect(hint).toMatch(/^check the spelling of the name/);
    }
  });

  it("a dead HTTP proxy: named, with the variable it came from", async () => {
    const port = await freePort();
    const proxy = `http://127.0.0.1:${port}`;
    const { error, hint } = await refusal(["pull", `${registry}/test/single:v1`, "-o", join(workDir, "proxy.tar")], { HTTP_PROXY: proxy });
    expect(error).toMatch(new RegExp(`^could not reach ${registry} through the proxy ${proxy} \\(from HTTP_PROXY\\) while fetching .*ECONNREFUSED`));
    expect(hint).toBe(`check that the proxy ${proxy} is running and reachable; correct or unset HTTP_PROXY, or list ${registry} in NO_PROXY to go direct`);
  });

  it("an unreachable localhost registry: no --insecure, it is plain http already", async () => {
    const port = await freePort();
    const { error, hint } = await refusal(["pull", `localhost:${port}/x/y:1`, "-o", join(workDir, "local.tar")]);
    expect(error).toMatch(new RegExp(`^could not reach localhost:${port} while fetching`));
    expect(hint).toBe(`check that the registry at localhost:${port} is running and that the address is right`);
  });
});
